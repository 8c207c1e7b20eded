"""Writes the schemathesis config for one role of .ci/schemathesis.

Usage: schemathesis_config.py BASE_URL TOKENS_FILE ROLE OUT.toml

TOKENS_FILE is the output of `ketenzorg demo` (`role token  # organization`). The config
feeds schemathesis the ids of real objects (as dictionaries, drawn most of the time instead of
random UUIDs) so that requests reach the handlers' logic instead of stopping at 404: for each
collection the objects the role can see, or, where it sees none, the admin's (then the role's
answers are the 403/404 of an outsider).
"""

import json
import sys
import urllib.error
import urllib.request

base, tokens_file, role, out = sys.argv[1:5]
here = __file__.rsplit("/", 1)[0]

tokens = {}
for line in open(tokens_file, encoding="utf-8"):
    parts = line.split()
    # Two contractors in the sample: the first one has the acknowledged case with a plan.
    if len(parts) >= 2 and parts[0] not in tokens:
        tokens[parts[0]] = parts[1]
token = tokens[role]


def call(method, path, tok, body=None):
    req = urllib.request.Request(base + path, method=method)
    req.add_header("Authorization", "Bearer " + tok)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as res:
        return json.load(res)


def ids(path, key="id"):
    """Up to five ids the role sees in a list, else the admin's."""
    for tok in (token, tokens["admin"]):
        try:
            items = call("GET", path + "?limit=5", tok)["items"]
        except urllib.error.HTTPError as e:
            if e.code != 403:
                raise
            items = []
        if items:
            return [i[key] for i in items]
    sys.exit(f"schemathesis_config: {path} is empty even for the admin; is the demo loaded?")


me = call("GET", "/api/v1/me", token)["organization"]
orgs = ids("/api/v1/organizations")
contractors = [
    o["id"] for o in call("GET", "/api/v1/organizations?kind=contractor", tokens["admin"])["items"]
]
buyers = [o["id"] for o in call("GET", "/api/v1/organizations?kind=buyer", tokens["admin"])["items"]]
# A token to be revoked: the run must not revoke the token it runs with (the admin's is listed
# by GET /tokens), so DELETE /tokens/{id} only ever gets this one.
victim = call(
    "POST", "/api/v1/tokens", tokens["admin"], {"organization_id": me["id"], "label": "fuzz victim"}
)["id"]

dictionaries = {
    "organization": [me["id"]] + [o for o in orgs if o != me["id"]],
    "factory": ids("/api/v1/factories"),
    "component": ids("/api/v1/components"),
    "contract": ids("/api/v1/contracts"),
    "finding": ids("/api/v1/findings"),
    "case": ids("/api/v1/cases"),
    "notification": ids("/api/v1/notifications"),
    # The demo gives each organization one person.
    "user": ids("/api/v1/users"),
    "token": [victim],
    "contractor": contractors,
    "buyer": buyers,
    "email": ["ops@demo.ketenzorg.example.org", "nobody@example.org"],
}

# Path ids, per collection (a prefix matches the sub-resources too).
paths = {
    "organizations": "organization",
    "factories": "factory",
    "components": "component",
    "contracts": "contract",
    "findings": "finding",
    "cases": "case",
    "notifications": "notification",
    "users": "user",
}

lines = [
    f'hooks = "{here}/schemathesis_hooks.py"',
    "",
    "[generation]",
    # No example database: every run starts from the seed alone.
    'database = "none"',
    "",
    # Failures show requests and answers cut short: some generated bodies are huge.
    "[output.truncation]",
    "max-payload-size = 1000",
    "",
    "[checks.negative_data_rejection]",
    # 412 and 413 are rejections too: `If-Match` is checked before the body (docs/api.md), and
    # a body over the size limit is refused before it is read.
    'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429", "5xx"]',
    "",
    "[checks.positive_data_acceptance]",
    # 412: `If-Match` names another version of the case; like 409, an answer about the
    # stored state, not about the request's shape.
    'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]',
    "",
    # Body fields that name other objects draw real ids most of the time.
    "[parameters]",
    '"body.factory_id" = { dictionary = "factory", probability = 0.8 }',
    '"body.component_id" = { dictionary = "component", probability = 0.8 }',
    '"body.parent_id" = { dictionary = "component", probability = 0.8 }',
    '"body.organization_id" = { dictionary = "organization", probability = 0.8 }',
    '"body.owner_id" = { dictionary = "contractor", probability = 0.8 }',
    '"body.contractor_id" = { dictionary = "contractor", probability = 0.8 }',
    '"body.buyer_id" = { dictionary = "buyer", probability = 0.8 }',
    "",
]
for name, values in dictionaries.items():
    lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
for collection, dictionary in paths.items():
    lines += [
        "[[operations]]",
        f'include-path-regex = "^/api/v1/{collection}/\\\\{{id\\\\}}"',
        f'parameters = {{ "path.id" = {{ dictionary = "{dictionary}", probability = 0.9 }} }}',
        "",
    ]
lines += [
    "[[operations]]",
    'include-path = "/api/v1/tokens/{id}"',
    'parameters = { "path.id" = { dictionary = "token", probability = 1.0 } }',
    # Ids seen in responses (GET /tokens) or followed along links would include the run's own.
    "phases.stateful.enabled = false",
    "phases.fuzzing.extra-data-sources.responses = false",
    "phases.coverage.extra-data-sources.responses = false",
    "phases.examples.extra-data-sources.responses = false",
    "",
    "[[operations]]",
    'include-path = "/api/v1/suppressions/{email}"',
    'parameters = { "path.email" = { dictionary = "email", probability = 0.5 } }',
    "",
]
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
