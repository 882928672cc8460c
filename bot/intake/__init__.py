"""Assisted intake (KAPI/KIFI): what a day centre needs to record a request for a person without a phone or computer.

- :mod:`bot.intake.centres` — the municipality's KAPI/KIFI (collection ``intake_centres``, seeded from
  ``data/centres.yaml``, edited by an admin in the dashboard);
- :mod:`bot.intake.status_link` — the unguessable link to the public status page and its QR code.

The pages themselves are in ``bot/dashboard/views/intake.py`` (form, receipt), ``views/centres.py`` (admin) and
``views/public_status.py`` (``/status/<token>``); phone numbers are normalised by :mod:`bot.tickets.phones`.
"""
