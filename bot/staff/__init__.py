"""The municipality's staff: accounts and roles (:mod:`bot.staff.accounts`), the audit log of every staff action
(:mod:`bot.staff.audit`) and the figures of the statistics page (:mod:`bot.staff.stats`)."""
