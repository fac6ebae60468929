"""Single sign-on with the city's OpenID Connect provider (Authlib's Flask client); off unless OIDC_ISSUER is set.

/auth/sso/start sends the browser to the provider (code flow, PKCE, state and nonce); /auth/sso/callback
checks the ID token (signature from the provider's JWKS, issuer, audience, nonce) and signs the user in.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..audit import record_event
from ..transactions import write_separately
from ..unit_of_work import commit_now
from .sessions import start_session
from .sso_accounts import SSOPolicy, SSORefused, parse_group_roles, user_for_claims
from .views import _safe_next

bp = Blueprint("auth_sso", __name__, url_prefix="/auth/sso")
PUBLIC_SSO_ENDPOINTS = {"auth_sso.start", "auth_sso.callback"}
NEXT_KEY = "sso_next"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
log = logging.getLogger(__name__)
_MAKING_OAUTH = threading.Lock()


def sso_enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def _policy() -> SSOPolicy:
    config = current_app.config
    return SSOPolicy(
        group_roles=parse_group_roles(config.get("OIDC_GROUP_ROLES", "")),
        groups_claim=config.get("OIDC_GROUPS_CLAIM") or "groups",
        trusts_idp_mfa=bool(config.get("OIDC_TRUSTS_IDP_MFA", True)),
        issuer=config["OIDC_ISSUER"],
    )


def _client():
    """The Authlib client for the configured provider (one per issuer/client, discovered on first use)."""
    config = current_app.config
    issuer = config["OIDC_ISSUER"].rstrip("/")
    settings = (issuer, config.get("OIDC_CLIENT_ID", ""), config.get("OIDC_CLIENT_SECRET", ""))
    name = "city_" + hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    oauth = _oauth(current_app._get_current_object())
    if name not in oauth._registry:
        oauth.register(
            name,
            client_id=settings[1],
            client_secret=settings[2],
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": config.get("OIDC_SCOPES") or "openid email profile",
                           "code_challenge_method": "S256", "default_timeout": 10},
        )
    check_issuer(issuer)
    client = oauth.create_client(name)
    discovered = client.load_server_metadata().get("issuer", "").rstrip("/")
    if discovered != issuer:
        raise ValueError(f"the provider calls itself '{discovered}', not OIDC_ISSUER '{issuer}'")
    return client


def _oauth(app: Flask):
    """Authlib's registry for the app, made on first use: Authlib (with its crypto) and requests load only
    when someone signs in with a city account, not when every process starts."""
    with _MAKING_OAUTH:
        oauth = app.extensions.get("sso_oauth")
        if oauth is None:
            from authlib.integrations.flask_client import OAuth

            oauth = OAuth()
            oauth.init_app(app)
            app.extensions["sso_oauth"] = oauth
    return oauth


def _provider_unusable(exc: Exception) -> None:
    """A security control that failed (provider down, TLS or discovery wrong): logged and audited."""
    reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300]
    log.warning("OpenID provider not usable: %s", reason)
    write_separately(record_event, "sso_provider_unusable", summary=f"{current_app.config['OIDC_ISSUER']}: {reason}")


def _refused(message: str, status: int):
    return render_template("auth/sso_refused.html", message=message), status


@bp.get("/start")
def start():
    if not sso_enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    session[NEXT_KEY] = _safe_next(request.args.get("next"))
    import requests

    try:
        client = _client()
        redirect_uri = current_app.config.get("OIDC_REDIRECT_URI") or url_for(".callback", _external=True)
        return client.authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError) as exc:
        _provider_unusable(exc)
        return _refused("The city's sign-in service cannot be reached just now. Try again in a few minutes, "
                        "or sign in with your email and password if you have one.", 502)


@bp.get("/callback")
def callback():
    if not sso_enabled():
        abort(404)
    import requests
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    try:
        token = _client().authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise OAuthError(error="no_id_token", description="the provider sent no ID token")
    except (OAuthError, JoseError) as exc:
        reason = getattr(exc, "error", None) or type(exc).__name__
        record_event("sign_in_failed", actor_label="unknown", summary=f"city account sign-in: {reason}"[:500],
                     after={"method": "sso", "issuer": current_app.config["OIDC_ISSUER"]})
        commit_now()  # the failed sign-in stays audited although the answer is a refusal
        return _refused("The city's sign-in service did not sign you in, or the answer could not be checked "
                        f"({reason}). Start again from the sign-in page.", 400)
    except (requests.RequestException, ValueError) as exc:
        _provider_unusable(exc)
        return _refused("The city's sign-in service cannot be reached just now. Try again in a few minutes.", 502)
    try:
        user = user_for_claims(claims, _policy())
    except SSORefused as refusal:
        commit_now()  # the refusal stays audited
        return _refused(str(refusal), 403)
    next_url = _safe_next(session.pop(NEXT_KEY, None))
    start_session(user)  # a fresh session: nothing from before the sign-in carries over
    session["signed_in_with"] = "sso"  # multi-factor was the provider's job (OIDC_TRUSTS_IDP_MFA)
    return redirect(next_url)


def check_issuer(issuer: str) -> None:
    """The provider is reached over HTTPS; plain http only on this machine (a provider run for tests)."""
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise ValueError(f"OIDC_ISSUER: '{issuer}' must be an https:// address")


def register_sso(app: Flask) -> None:
    """Routes always exist (404 while off); bad OIDC_* settings stop the app at start, naming the setting."""
    if app.config.get("OIDC_ISSUER"):
        check_issuer(app.config["OIDC_ISSUER"])
        parse_group_roles(app.config.get("OIDC_GROUP_ROLES", ""))
    app.register_blueprint(bp)

    @app.context_processor
    def sso_flag():
        return {"sso_enabled": sso_enabled()}
