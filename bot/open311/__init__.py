"""Open311 GeoReport v2: other municipal systems and apps read the public tickets and file requests.

``api`` (the resources at ``/open311``), ``formats`` (JSON and XML documents), ``publication`` (what of a ticket is
public, redaction, the staff's private flag and photo approval), ``intake`` (a POSTed request becomes a ticket),
``keys`` (API keys, their hashes and rate limits). Spec: http://wiki.open311.org/GeoReport_v2.
"""
