"""The GitHub workflows, the README's commands and .ci/run say the same thing.

Each workflow is parsed with PyYAML; its steps must run the commands the README
documents (same install line, options the command table lists), with every action
pinned to a commit. The README's test line must be what CI runs, and the fast path
it documents must exist."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from conftest import REPO
from generator.cli import make_parser

WORKFLOWS = REPO / ".github" / "workflows"
README = (REPO / "README.md").read_text(encoding="utf-8")
CI_RUN = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on:` key as true
    return data


def steps(data: dict) -> list[dict]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def shell_commands(data: dict) -> list[str]:
    """Each command the steps run: lines of `run:`, split at &&."""
    found = []
    for step in steps(data):
        for line in step.get("run", "").splitlines():
            found += [part.strip() for part in line.split("&&") if part.strip()]
    return found


def readme_setup() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def readme_options(command: str) -> set[str]:
    rows = [row for row in README.splitlines() if row.startswith(f"| `mlcsite {command}")]
    assert rows, f"the README's command table has no row for `mlcsite {command}`"
    return set(re.findall(r"--[a-z-]+", " ".join(rows)))


def mlcsite_calls(data: dict) -> list[list[str]]:
    calls = []
    for command in shell_commands(data):
        plain = re.sub(r"\$\{\{[^}]*\}\}|\$\([^)]*\)|\$\w+", "X", command).split(" >")[0]  # not its redirection
        words = shlex.split(plain)
        if words and words[0].endswith("/bin/mlcsite"):
            calls.append(words[1:])
    return calls


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_there_is_a_pull_request_and_a_deploy_workflow():
    assert {"pull-request.yml", "deploy.yml", "comment.yml"} <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_every_action_is_pinned_to_a_commit(name):
    for step in steps(workflow(name)):
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


@pytest.mark.parametrize("name", ALL)
def test_workflows_run_mlcsite_only_as_the_readme_documents_it(name):
    install = readme_setup()[0].rsplit(" && ", 1)[0]  # the README's install, without its build
    data = workflow(name)
    if any("mlcsite" in command for command in shell_commands(data)):
        assert install in [step.get("run", "").strip() for step in steps(data)], "install as the README does"
    for words in mlcsite_calls(data):
        words = words[2:] if words[0] == "-C" else words
        make_parser().parse_args(words)  # a real command with real options
        used = {w.split("=")[0] for w in words if w.startswith("--")}
        assert used <= readme_options(words[0]), f"{words}: the README does not document {used - readme_options(words[0])}"


def test_a_pull_request_is_checked_previewed_compared_and_commented():
    data = workflow("pull-request.yml")
    assert "pull_request" in data["on"]
    calls = mlcsite_calls(data)
    assert ["check", "--format", "github"] in calls
    assert any(c[0] == "build" and "--base-url" in c for c in calls)
    assert any(c[0] == "diff" and c[-2:] == ["--format", "markdown"] for c in calls)
    assert any("SOURCE_DATE_EPOCH" in c and "git log -1 --format=%ct" in c for c in shell_commands(data))
    uploads = [s for s in steps(data) if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert {u["with"]["name"].split("-pr-")[0] for u in uploads} == {"preview", "change-report"}

    comment = workflow("comment.yml")
    assert comment["on"]["workflow_run"]["workflows"] == [data["name"]]
    script = next(s for s in steps(comment) if s.get("uses", "").startswith("actions/github-script@"))
    assert "updateComment" in script["with"]["script"] and "createComment" in script["with"]["script"]


def test_main_is_built_and_deployed_with_the_official_pages_actions():
    data = workflow("deploy.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"]["pages"] == "write" and data["permissions"]["id-token"] == "write"
    build = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in data["jobs"]["build"]["steps"]]
    pages = [b for b in build if b.startswith("actions/") and "pages" in b]
    assert pages == ["actions/configure-pages", "actions/upload-pages-artifact"]
    assert build.index("actions/configure-pages") < next(i for i, b in enumerate(build) if "mlcsite build" in b)
    assert 'SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"' in "\n".join(build)
    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_the_readme_opens_with_two_set_up_commands_and_the_test_one_is_ci():
    build, tests = readme_setup()
    assert build.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ") and build.endswith("mlcsite build")
    assert tests == "bash .ci/run"
    ci_commands = [line for line in CI_RUN.splitlines() if line.strip() and not line.startswith("#")]
    assert any(line.startswith("apt-get update") for line in ci_commands)
    assert ci_commands.index(next(l for l in ci_commands if l.startswith("apt-get update"))) < \
        ci_commands.index(next(l for l in ci_commands if l.startswith("apt-get install")))
    last = ci_commands[-1].split("  #")[0].strip()
    assert last.startswith(".venv/bin/python -m pytest") and f"`{last}`" in README  # the README says what runs


def test_the_fast_path_without_a_browser_is_documented_and_real():
    assert '.venv/bin/python -m pytest -n 2 -m "not browser"' in README
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^markers = \[\n\s+"browser: ', pyproject, re.M)
    assert "Python 3.11" in README and 'requires-python = ">=3.11"' in pyproject


@pytest.mark.parametrize("name", ["deploy.yml", "pull-request.yml"])
def test_builds_in_ci_restore_the_cache_folder_and_save_a_new_one_each_run(name):
    """A fresh output folder with the cache folder of an earlier run converts and
    indexes only what changed (test_markdown_store, test_search_shards)."""
    data = workflow(name)
    listed = [s for job in data["jobs"].values() for s in job["steps"]]
    caches = [s for s in listed if s.get("uses", "").startswith("actions/cache@")]
    assert len(caches) == 1 and caches[0]["with"]["path"] == ".mlcsite-cache"
    key, prefix = caches[0]["with"]["key"], caches[0]["with"]["restore-keys"]
    assert key.startswith(prefix) and key.endswith("${{ github.run_id }}")
    first_build = next(i for i, s in enumerate(listed) if "mlcsite build" in s.get("run", ""))
    assert listed.index(caches[0]) < first_build
