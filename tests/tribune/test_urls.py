"""Every internal address comes from its route's name: a path is written once, in its route.

Templates link with ``url_for(name, **params)`` (a path, not an absolute URL), routes redirect
with ``url_path(request, name, **params)``, and emails link with ``outbox.url(name, **params)``.
The checks below read the templates and the modules that link, so that a path written by
hand again (``href="/{{ tribunal.slug }}/..."``, ``redirect(f"/{tribunal.slug}/...")``,
``f"{base}/check"``, ``"/" ~ tribunal.slug``) fails here rather than when a path is renamed.
Only what cannot come from a route is allowed: links to other sites, ``mailto:`` and
``#fragment`` links, and the route declarations themselves.
"""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tribune.app import build_outbox
from tribune.settings import PROJECT_ROOT, Settings

TEMPLATES = PROJECT_ROOT / "templates"
PACKAGES = (
    "tribune",
    "accounts",
    "tribunals",
    "filings",
    "auditlog",
    "hearings",
    "payments",
    "accountability",
)

# -- templates -------------------------------------------------------------------------------

URL_ATTRIBUTE = re.compile(
    r"""\b(?:href|action|src|formaction|(?:data-)?hx-(?:get|post|put|patch|delete))\s*=\s*"""
    r"""(["'])(.*?)\1""",
    re.DOTALL,
)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
# A string literal in a Jinja expression that starts like a path; a static file's `path=` is
# the one place a path is written in a template, as the static mount takes it.
JINJA_PATH_LITERAL = re.compile(r"""(?<!path=)(["'])/[^"']*\1""")


def hand_built_in_template(text: str) -> list[str]:
    """Return the hand-built internal addresses of a template's text."""
    found = []
    for match in URL_ATTRIBUTE.finditer(text):
        value = match.group(2)
        if value.startswith("/") or re.search(r"(?:\}\}|%\})/", value):
            found.append(match.group(0))
    for block in JINJA.finditer(text):
        found += [literal.group(0) for literal in JINJA_PATH_LITERAL.finditer(block.group(0))]
    return found


def template_files() -> list[Path]:
    files = sorted(TEMPLATES.rglob("*.html")) + sorted((TEMPLATES / "mail").glob("*.txt"))
    assert len(files) > 50  # the walk found the templates
    return files


def test_templates_link_with_url_for() -> None:
    hand_built = [
        f"{path.relative_to(PROJECT_ROOT)}: {found}"
        for path in template_files()
        for found in hand_built_in_template(path.read_text())
    ]
    assert hand_built == []


def test_the_template_check_finds_hand_built_addresses() -> None:
    for text in (
        '<a href="/account">',
        '<a href="/{{ tribunal.slug }}/staff">',
        '<form action="{{ base }}/publish">',
        '<a href="{% if x %}/contact{% endif %}">',
        "<div hx-get='/{{ tribunal.slug }}/staff/docket'>",
        '{% set url = "/" ~ tribunal.slug %}',
        "{{ macro(change_url=page_url ~ '/documents') }}",
    ):
        assert hand_built_in_template(text), text
    for text in (
        "<a href=\"{{ url_for('accounts:account') }}?updated=name\">",
        "<a href=\"{{ url_for('tribunals:home', tribunal=tribunal.slug) }}#contact\">",
        "<link href=\"{{ url_for('static', path='/css/tribune.css') }}\">",
        '<a href="#main-content">',
        '<a href="mailto:{{ tribunal.contact_email }}">',
        '<a href="{{ back_url }}">',
        '<svg><path d="M0 0h13l20 20-20 20H0l20-20z"/></svg>',
    ):
        assert not hand_built_in_template(text), text


# -- route modules and the modules that write emails -----------------------------------------

# Calls whose first argument declares a route's path.
ROUTE_DECLARATIONS = {"page", "signed_webhook", "TenantRoute", "Route", "Mount", "_manage"}
# A path template with a parameter ({filing_id:uuid}, {key}) declares a route, never links.
PATH_PARAMETER = re.compile(r"\{\w+(?::\w+)?\}")


def linking_modules() -> list[Path]:
    """Return the modules that link or redirect: route modules, the error pages, the
    sign-in redirects, and the services and jobs that write emails."""
    modules = {
        PROJECT_ROOT / "tribune" / "errors.py",
        PROJECT_ROOT / "accounts" / "middleware.py",
        PROJECT_ROOT / "tribunals" / "tenancy.py",
        PROJECT_ROOT / "filings" / "lifecycle.py",
    }
    for package in PACKAGES:
        for name in ("routes.py", "services.py", "jobs.py"):
            modules.update((PROJECT_ROOT / package).rglob(name))
    return sorted(modules)


# A path separator handed to a string method splits a path; it builds no address.
SEPARATOR_METHODS = {"split", "rsplit", "strip", "lstrip", "rstrip", "partition", "join"}


def _path_templates(tree: ast.Module) -> set[str]:
    """Return the module's constants that hold a route path template (``_VERSION``)."""
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and PATH_PARAMETER.search(node.value.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _separators(tree: ast.AST) -> set[int]:
    return {
        id(argument)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SEPARATOR_METHODS
        for argument in (*node.args, node.func.value)
        if isinstance(argument, ast.Constant) and argument.value == "/"
    }


def _declared(tree: ast.AST) -> set[int]:
    """Return the ids of the nodes that declare routes' paths or cookies' paths."""
    declared: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = getattr(function, "id", None) or getattr(function, "attr", None)
        parts: list[ast.AST] = []
        if name in ROUTE_DECLARATIONS and node.args:
            parts.append(node.args[0])
        parts += [keyword.value for keyword in node.keywords if keyword.arg == "path"]
        for part in parts:
            declared.update(id(inner) for inner in ast.walk(part))
    return declared


def hand_built_in_python(source: str) -> list[str]:
    """Return the hand-built internal addresses of a module's source: a string starting with
    a path (``"/account"``, ``f"/{slug}/staff"``) or a path appended to another address
    (``f"{case_url}/response"``), outside the routes' declarations."""
    tree = ast.parse(source)
    # The literal pieces of an f-string are read with it, not on their own.
    templates = _path_templates(tree)
    skipped = (
        _declared(tree)
        | _separators(tree)
        | {
            id(piece)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for piece in node.values
        }
    )
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text, pieces = node.value, [node.value]
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                str(value.value) if isinstance(value, ast.Constant) else "{}"
                for value in node.values
            )
            if any(
                isinstance(value, ast.FormattedValue)
                and isinstance(value.value, ast.Name)
                and value.value.id in templates
                for value in node.values
            ):
                continue  # a path built on a route's path template: a declaration
            # A literal piece that starts the string, or follows an interpolated value.
            pieces = [
                value.value
                for index, value in enumerate(node.values)
                if isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and (index == 0 or isinstance(node.values[index - 1], ast.FormattedValue))
            ]
        else:
            continue
        if PATH_PARAMETER.search(text):
            continue
        if any(re.match(r"/(?:[\w.-]|$)", piece) for piece in pieces):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_routes_and_emails_build_addresses_from_route_names() -> None:
    modules = linking_modules()
    assert PROJECT_ROOT / "filings" / "journey" / "routes.py" in modules
    hand_built = [
        f"{path.relative_to(PROJECT_ROOT)} {found}"
        for path in modules
        for found in hand_built_in_python(path.read_text())
    ]
    assert hand_built == []


def test_the_python_check_finds_hand_built_addresses() -> None:
    for source in (
        'redirect("/account")',
        'redirect(f"/{tribunal.slug}/staff")',
        'url = f"{case_url}/response"',
        'target = "/sign-in?" + query',
        'outbox.link(f"/{tribunal.slug}/claim")',
        'safe_next(target, "/")',
    ):
        assert hand_built_in_python(source), source
    for source in (
        'redirect(url_path(request, "accounts:account") + "?updated=name")',
        "redirect(f\"{url_path(request, 'x')}#notes\")",
        'page("/sign-in", sign_in, name="accounts:sign_in")',
        'TenantRoute("/staff", workspace, permission=P, name="tribunals:workspace")',
        'signed_webhook("/webhooks/jaas", jaas, name="hearings:attendance:jaas")',
        'response.set_cookie("language", "fr", path="/")',
        '_VERSION = "/versions/{version_id:uuid}"',
        'item = f"{prefix}/{segment}/{{key}}"',
        'mime = "application/pdf"',
        'segment = scope["path"].lstrip("/").split("/", 1)[0]',
        '_VERSION = "/versions/{version_id:uuid}"\nprefix = f"{_VERSION}/response"',
    ):
        assert not hand_built_in_python(source), source


# -- the builders themselves ---------------------------------------------------------------


def test_url_paths_are_paths_and_email_links_are_absolute(
    app: Starlette, settings: Settings
) -> None:
    filing_id = uuid.uuid4()
    path = app.url_path_for("filings:journey:case", tribunal="wcat", filing_id=filing_id)
    assert path == f"/wcat/cases/{filing_id}"
    assert app.url_path_for("tribunals:home", tribunal="wcat") == "/wcat/"
    assert app.url_path_for("static", path="/css/tribune.css") == "/static/css/tribune.css"
    for outbox in (app.state.outbox, build_outbox(settings)):
        link = outbox.url("filings:journey:case", tribunal="wcat", filing_id=str(filing_id))
        assert link == f"{settings.base_url}/wcat/cases/{filing_id}"


def test_paths_by_name_are_the_ones_starlette_builds() -> None:
    """`url_path` looks routes up by name rather than trying each in turn: the same paths,
    and the same refusal for a name or parameters no route has."""
    import uuid as uuid_module

    from starlette.routing import Mount, NoMatchFound

    from tribune.app import create_app
    from tribune.web import RouteIndex

    app = create_app()
    index = RouteIndex(app.routes)

    def params_for(path: str, mounted: bool) -> dict[str, object]:
        values: dict[str, object] = {"tribunal": "wcat"} if mounted else {}
        for name, kind in re.findall(r"{(\w+)(?::(\w+))?}", path):
            values[name] = uuid_module.uuid4() if kind == "uuid" else "a-b"
        return values

    checked = 0
    for route in app.routes:
        mounted = isinstance(route, Mount) and route.name is None
        for child in route.routes if mounted else [route]:  # type: ignore[attr-defined]
            name = getattr(child, "name", None)
            if not name or isinstance(child, Mount):
                continue
            params = params_for(getattr(child, "path", ""), mounted)
            assert index.path(name, params) == str(app.url_path_for(name, **params)), name
            checked += 1
    assert checked > 100
    with pytest.raises(NoMatchFound):
        index.path("no:such:route", {})
    with pytest.raises(NoMatchFound):
        index.path("filings:docket:page", {"tribunal": "wcat", "filing_id": "x"})
