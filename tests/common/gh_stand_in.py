"""A stand-in for the GitHub CLI's `gh api`, for tests that run the GitHub Action's steps.

It answers the calls the action makes about one repository's pull-request comments from a
JSON state file, as GitHub's REST API answers them, and records every call (method, path,
fields, the account of GH_TOKEN) to a JSON-lines file:

  GET   user                                   the token's account (403 for the workflow's
                                               own token, as GitHub answers an app token)
  GET   repos/OWNER/REPO/issues/N/comments     the pull request's comments
  POST  repos/OWNER/REPO/issues/N/comments     a new comment, written as the token's account
  PATCH repos/OWNER/REPO/issues/comments/ID    a comment's new body (any comment: a token
                                               that may write pull requests may edit others')

`--jq EXPR` is applied with jq, as gh applies its built-in jq (`env.NAME` included).

Environment: GH_TOKEN; GH_STAND_IN_STATE (the state: {"tokens": {TOKEN: LOGIN},
"workflow_token": TOKEN, "comments": [...], "next_id": N}); GH_STAND_IN_CALLS (the log).
"""

import json
import os
import re
import subprocess
import sys


def fail(message, code=1):
    sys.stderr.write(f"gh: {message}\n")
    sys.exit(code)


def parse(argv):
    if not argv or argv[0] != "api":
        fail(f"the stand-in knows only `gh api`, not {argv!r}", 2)
    method, endpoint, jq, fields = None, None, None, {}
    args = iter(argv[1:])
    for arg in args:
        if arg in ("--method", "-X"):
            method = next(args)
        elif arg == "--paginate":
            pass  # one page holds everything here
        elif arg in ("--jq", "-q"):
            jq = next(args)
        elif arg in ("-f", "--raw-field"):
            key, _, value = next(args).partition("=")
            fields[key] = value
        elif arg.startswith("-"):
            fail(f"the stand-in does not know {arg}", 2)
        elif endpoint is None:
            endpoint = arg
        else:
            fail(f"a second endpoint {arg!r}", 2)
    if endpoint is None:
        fail("no endpoint", 2)
    return method or ("POST" if fields else "GET"), endpoint.lstrip("/"), jq, fields


def public(comment):
    """A comment as the API shows it (which pull request it is on is the state's own note)."""
    return {k: v for k, v in comment.items() if k != "pr"}


def answer(state, login, method, endpoint, fields):
    repo = state["repository"]
    if (method, endpoint) == ("GET", "user"):
        if login.endswith("[bot]"):
            fail("Resource not accessible by integration (HTTP 403)")
        return {"login": login}
    m = re.fullmatch(r"repos/([^/]+/[^/]+)/issues/(\d+)/comments", endpoint)
    if m and m.group(1) == repo:
        pr = int(m.group(2))
        if method == "GET":
            return [public(c) for c in state["comments"] if c["pr"] == pr]
        if method == "POST":
            comment = {"id": state["next_id"], "pr": pr, "body": fields["body"], "user": {"login": login}}
            state["next_id"] += 1
            state["comments"].append(comment)
            return public(comment)
    m = re.fullmatch(r"repos/([^/]+/[^/]+)/issues/comments/(\d+)", endpoint)
    if m and m.group(1) == repo and method == "PATCH":
        for comment in state["comments"]:
            if comment["id"] == int(m.group(2)):
                comment["body"] = fields["body"]
                return public(comment)
    fail(f"Not Found (HTTP 404): {method} {endpoint}")


def main():
    method, endpoint, jq, fields = parse(sys.argv[1:])
    state_file = os.environ["GH_STAND_IN_STATE"]
    with open(state_file) as f:
        state = json.load(f)
    token = os.environ.get("GH_TOKEN", "")
    login = state["tokens"].get(token)
    if login is None:
        fail("Bad credentials (HTTP 401)")
    with open(os.environ["GH_STAND_IN_CALLS"], "a") as log:
        log.write(json.dumps({"method": method, "endpoint": endpoint, "fields": fields, "as": login}) + "\n")
    result = answer(state, login, method, endpoint, fields)
    with open(state_file, "w") as f:
        json.dump(state, f, indent=1)
    text = json.dumps(result)
    if jq is None:
        print(text)
        return
    try:
        out = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        fail("jq is missing: apt-get install jq", 3)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    sys.exit(out.returncode)


main()
