"""The platform's home page, each tribunal's public page, and the staff workspace."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from accounts.middleware import current_user, signed_in_user
from tribunals import services
from tribunals.forms import document_settings_form, invitation_form
from tribunals.models import ActivePdfPolicy, Role
from tribunals.permissions import Permission
from tribunals.tenancy import TenantRoute, current_roles, current_tribunal
from tribune import ratelimits
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.web import db_of, outbox_of, page, redirect, render, settings_of, url_path


async def home(request: Request) -> Response:
    # The search is read as any typed answer: control characters (a NUL, which PostgreSQL
    # cannot compare) are refused with a message, and nothing is searched.
    form = Form(request.query_params)
    query = form.text("q", max_length=100)
    db = db_of(request)
    tribunals = await services.search_tribunals(db, query) if form.is_valid else []
    user = current_user(request)
    workspaces = await services.workspaces_of(db, user.id) if user else []
    return render(
        request,
        "tribunals/home.html",
        {"tribunals": tribunals, "query": query, "workspaces": workspaces, "form": form},
        status_code=200 if form.is_valid else 422,
        partial="tribunals/partials/results.html",
    )


async def tribunal_home(request: Request) -> Response:
    return render(request, "tribunals/tribunal.html", {"roles": current_roles(request)})


async def brand_stylesheet(request: Request) -> Response:
    tribunal = current_tribunal(request)
    css = f":root {{ --tribune-accent: {tribunal.accent_colour}; }}\n"
    return Response(
        css,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def workspace(request: Request) -> Response:
    return render(request, "tribunals/workspace.html", {"roles": current_roles(request)})


async def staff(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    form = Form()
    status_code = 200
    if request.method == "POST":
        form = invitation_form(await request.form())
        status_code = 422
        if form.is_valid:
            try:
                invited = await services.invite_staff(
                    db,
                    outbox_of(request),
                    tribunal,
                    signed_in_user(request),
                    form.cleaned["email"],
                    Role(form.cleaned["role"]),
                    settings=settings_of(request),
                )
            except ratelimits.TooManyMessagesError as refused:
                form.add_error("email", refused.message)
                status_code = 429
            else:
                if invited:
                    return redirect(
                        url_path(request, "tribunals:staff", tribunal=tribunal.slug) + "?invited=1"
                    )
                form.add_error("email", _("This person already holds that role"))
    return render(
        request,
        "tribunals/staff.html",
        {
            "form": form,
            "members": await services.staff_of(db, tribunal.id),
            "invitations": await services.pending_invitations(db, tribunal.id),
            "roles": list(Role),
            "invited": request.query_params.get("invited") == "1",
        },
        status_code=status_code,
    )


async def document_settings(request: Request) -> Response:
    """What the tribunal does with uploaded PDFs that hold JavaScript or launch actions."""
    tribunal = current_tribunal(request)
    form = Form({"active_pdfs": tribunal.active_pdfs.value})
    status_code = 200
    if request.method == "POST":
        form = document_settings_form(await request.form())
        if form.is_valid:
            services.set_active_pdfs(
                db_of(request),
                tribunal,
                ActivePdfPolicy(form.cleaned["active_pdfs"]),
                actor=signed_in_user(request),
            )
            return redirect(
                url_path(request, "tribunals:document_settings", tribunal=tribunal.slug)
                + "?saved=1"
            )
        status_code = 422
    return render(
        request,
        "tribunals/document_settings.html",
        {"form": form, "saved": request.query_params.get("saved") == "1"},
        status_code=status_code,
    )


async def accept_invitation(request: Request) -> Response:
    tribunal = current_tribunal(request)
    db = db_of(request)
    user = signed_in_user(request)
    if request.method == "GET":
        token = request.query_params.get("token", "")
    else:
        token = str((await request.form()).get("token", ""))
    invitation = await services.invitation_for(db, tribunal, token)
    if invitation is None:
        return render(request, "tribunals/invitation_invalid.html", status_code=400)
    wrong_person = invitation.email != user.email
    if request.method == "GET" or wrong_person:
        return render(
            request,
            "tribunals/invitation.html",
            {"invitation": invitation, "token": token, "wrong_person": wrong_person},
            status_code=403 if wrong_person else 200,
        )
    await services.accept_invitation(db, tribunal, invitation, user)
    return redirect(url_path(request, "tribunals:workspace", tribunal=tribunal.slug))


tenant_routes: list[BaseRoute] = [
    TenantRoute("/", tribunal_home, permission=Permission.PUBLIC, name="tribunals:home"),
    TenantRoute(
        "/brand.css", brand_stylesheet, permission=Permission.PUBLIC, name="tribunals:brand"
    ),
    TenantRoute(
        "/staff", workspace, permission=Permission.WORKSPACE_VIEW, name="tribunals:workspace"
    ),
    TenantRoute(
        "/staff/people",
        staff,
        permission=Permission.STAFF_MANAGE,
        methods=["GET", "POST"],
        name="tribunals:staff",
    ),
    TenantRoute(
        "/staff/settings/documents",
        document_settings,
        permission=Permission.SETTINGS_MANAGE,
        methods=["GET", "POST"],
        name="tribunals:document_settings",
    ),
    TenantRoute(
        "/invitations/accept",
        accept_invitation,
        permission=Permission.SIGNED_IN,
        methods=["GET", "POST"],
        name="tribunals:accept_invitation",
    ),
]

routes: list[BaseRoute] = [
    page("/", home, name="tribunals:platform_home"),
]


def mount(tenant_routes: list[BaseRoute]) -> Mount:
    """Return the mount that serves every tribunal's routes under ``/{tribunal}``.

    It has no name, so its routes keep theirs: ``url_path_for("filings:docket:page",
    tribunal="wcat")``."""
    return Mount("/{tribunal}", routes=tenant_routes)
