"""Schemathesis hooks for .ci/schemathesis (loaded through the generated config's `hooks`).

`positive_data_acceptance` expects every request that fits the OpenAPI document to be
accepted. Some rules of this API cannot be written in JSON Schema, so a schema-valid request
can rightly be refused by them:

- references: an id in the body must name an object that exists and is within the caller's
  reach ("no component with this id among the owner's components");
- rules across fields: `valid_to` on or after `valid_from`, `ends_on` on or after `starts_on`,
  the fields each case action needs (a reason to dispute, a plan to submit), no cycle in a
  bill of materials, a `cursor` of the list's own `sort` order;
- rules against the clock or the stored state: `observed_on` not in the future, an extension
  later than the current deadline, `at` not in the future, an Idempotency-Key reused for
  another body;
- rules on the caller: only admins name another owner or buyer;
- the content of an uploaded file: a disclosure list's header row names its columns, each
  row's cells parse (the document can only say "text/csv"); an evidence file is not empty,
  is one of the allowed types by its content (415), has the SHA-256 the client declared, and
  is named (`Content-Disposition` or the form part's filename) without path separators or
  control characters; a form has its part `file`;
- evidence files on a case are never confidential (only a monitor's on a finding are), and
  only the two case actions that take evidence name files.

`positive_data_acceptance_beyond_schema` runs the built-in check, except that it lets pass a
400 or 422 problem whose every `errors[].message` is one of those rules (matched below, each
pattern naming its rule). Anything else, including a rule added later and not listed here,
still fails. .ci/schemathesis runs this check instead of the built-in one.
"""

import re

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

BEYOND_SCHEMA = [
    # references to other objects
    re.compile(r"^no [a-z ]+ with this id"),
    # rules across fields
    re.compile(r"^must be on or after (valid_from|starts_on)$"),
    re.compile(r"^[a-z_]+ needs (a reason|a plan|evidence or a note|evidence, files or a note)"),
    re.compile(r"^(a plan|evidence) goes with [a-z_]+, not [a-z_]+$"),
    re.compile(r"^files go with submit_plan or report_remediated, not [a-z_]+$"),
    re.compile(r"^only a monitor's files on a finding may be confidential"),
    re.compile(r"^a plan without actions must justify why no action is taken$"),
    re.compile(r"^this would make the component part of itself"),
    re.compile(r"^this cursor belongs to another sort order$"),
    # rules against the clock or the stored state
    re.compile(r"^must not be in the future$"),
    re.compile(r"^an extension moves the deadline later than its current "),
    re.compile(r"^at must be a past or present date$"),
    re.compile(r"^to \([0-9-]+\) is (after today|before from) "),
    re.compile(r"^to must not be before from$"),
    re.compile(r"^to must be today or earlier"),
    re.compile(r"^a report covers at most [0-9]+ days$"),
    re.compile(r"^this key was already used for a different request"),
    # the content of an uploaded file (a disclosure list's columns and rows), which the
    # document can only describe as text
    re.compile(r"^(missing|unknown) columns: "),
    re.compile(r"^the column .* appears twice$"),
    re.compile(r"^row [0-9]+: "),
    re.compile(r"^the file is empty$"),
    re.compile(r"^the file has a header row but no rows under it"),
    # an evidence file (tests/files.rs)
    re.compile(r"^name the file: Content-Disposition"),
    re.compile(r"^a filename has "),
    re.compile(r"^the file received has the SHA-256 "),
    re.compile(r"^the virus scanner found this file infected"),
    re.compile(r"^the form has no part named \"file\""),
    re.compile(r"^the multipart form cannot be read"),
    # rules on the caller
    re.compile(r"^only admins register components for another organization$"),
    re.compile(r"^a buyer registers contracts in its own name$"),
    re.compile(r"^the operator names the buyer organization"),
]

# A 415 for a body of an accepted media type whose content is not that type: a "CSV" that
# holds binary data (the document can only say which types are taken).
BEYOND_MEDIA_TYPE = [
    re.compile(r"^this is not a disclosure spreadsheet"),
    re.compile(r"^this kind of file is not taken; the content must be one of"),
]


def _beyond_schema(response):
    if response.status_code == 415:
        try:
            detail = str(response.json().get("detail", ""))
        except Exception:
            return False
        return any(p.search(detail) for p in BEYOND_MEDIA_TYPE)
    if response.status_code not in (400, 422):
        return False
    try:
        errors = response.json().get("errors") or []
    except Exception:
        return False
    return bool(errors) and all(
        any(p.search(str(e.get("message", ""))) for p in BEYOND_SCHEMA) for e in errors
    )


@schemathesis.check
def positive_data_acceptance_beyond_schema(ctx, response, case):
    if _beyond_schema(response):
        return None
    return positive_data_acceptance(ctx, response, case)
