"""The outbound status file as a NENA EIDO document (`outbound_format = "eido"`).

A status change is not a new incident, but EIDO (NENA-STA-021) has no smaller document: an
update about an incident is a whole `EmergencyIncidentDataObjectType` naming the incident
and carrying what changed. So each file is one, valid against NENA's schema (the test
`tests/hub/sources/boundary/test_outbound_eido.py` runs the real schema on every kind of
change), with only what the hub knows for sure:

- the issuer: the county's linkage centre as the one agency (`agencyComponent`,
  `issuingElementIdentification`, every `updatedByAgencyReference`), id
  `liandong.<county>`, of `agencyType` `psap` (required; the values come from IANA's
  `urn:emergency:service:responder` registry, and a centre that takes calls and dispatches
  every service but the police is none of police, fire or ems; NENA's own sample uses
  `psap` for its answering point too), and of role `CallReceiving` (required; NENA's Agency
  Role registry is not at hand, and that is the one value of it this project can check:
  NENA's sample uses it; the centre did receive the call, from 110);
- `incidentComponent`: the 110 number as `incidentTrackingIdentifier` (how the 110 side
  finds its incident), the hub's incident id as `$id`, the category as
  `incidentTypeInternalCode` / `incidentTypeInternalText` and, because the schema requires
  it, also as `incidentTypeCommonRegistryText`: the county's categories are not values of
  NENA's Incident Type registry, and the hub does not pretend otherwise; the change
  (`dispatched`, `ack`, `arrived`, `closed` ...) as `incidentStatusInternalText`, a local
  agency's status code in EIDO's terms, never as the registry text;
- one `notesComponent` whose `notesActionComments` is the change as JSON (unit, its
  Chinese name, the order, what the outbox API's item carries in `detail`).
"""

from __future__ import annotations

import json
from typing import Any

EIDO_VERSION = "1.0"


def status_document(
    item: dict[str, Any],
    *,
    county: str,
    category: str,
    category_name: str,
    unit_name: str | None,
) -> dict[str, Any]:
    """One outbox item (`GET /api/v1/boundary/outbox`'s shape) as an EIDO document."""
    agency = f"liandong.{county}"
    by = {"$ref": agency}
    at = item["at"]
    note = {
        "type": item["type"],
        "order_id": item["order_id"],
        "unit": item["unit"],
        "unit_name": unit_name,
        **item["detail"],
    }
    return {
        "$id": f"urn:liandong:{county}:status:{item['cursor']}",
        "lastUpdateTimeStamp": at,
        "updatedByAgencyReference": by,
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": agency,
        "agencyComponent": [
            {
                "$id": agency,
                "lastUpdateTimeStamp": at,
                "updatedByAgencyReference": by,
                "agencyRoleDescriptionRegistryText": ["CallReceiving"],
                "agencyType": ["psap"],
            }
        ],
        "incidentComponent": {
            "$id": item["incident_id"],
            "lastUpdateTimeStamp": at,
            "updatedByAgencyReference": by,
            "incidentTrackingIdentifier": item["source_id"],
            "incidentTypeCommonRegistryText": category,
            "incidentTypeInternalCode": category,
            "incidentTypeInternalText": category_name,
            "incidentStatusInternalText": [item["type"]],
        },
        "notesComponent": [
            {
                "$id": f"urn:liandong:{county}:note:{item['cursor']}",
                "lastUpdateTimeStamp": at,
                "updatedByAgencyReference": by,
                "notesActionComments": json.dumps(note, ensure_ascii=False),
            }
        ],
    }
