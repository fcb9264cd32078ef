"""Print the pip requirements of Home Assistant's always-loaded integrations, of the integrations
named on the command line, and of everything they depend on (dependencies and
after_dependencies), read from the installed manifests, so that HA can then run with --skip-pip
and never reaches for the network at run time.
Runs inside the test bed's venv: python resolve-reqs.py mqtt template ..."""
import json
import pathlib
import sys

import homeassistant.components as comps
from homeassistant import bootstrap

base = pathlib.Path(comps.__file__).parent
seen: set[str] = set()
reqs: set[str] = set()
todo = [
    *sys.argv[1:],
    *bootstrap.CORE_INTEGRATIONS,
    *bootstrap.LOGGING_AND_HTTP_DEPS_INTEGRATIONS,
    *bootstrap.DEFAULT_INTEGRATIONS,
    "recorder",
]
while todo:
    domain = todo.pop()
    if domain in seen:
        continue
    seen.add(domain)
    manifest = base / domain / "manifest.json"
    if not manifest.exists():
        continue
    m = json.loads(manifest.read_text())
    reqs.update(m.get("requirements", []))
    todo.extend(m.get("dependencies", []))
    todo.extend(m.get("after_dependencies", []))
print("\n".join(sorted(reqs)))
