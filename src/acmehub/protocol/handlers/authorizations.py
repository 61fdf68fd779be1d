"""authz/{id} (RFC 8555 §7.5, §7.5.2) and chall/{id} (§7.5.1)."""

from __future__ import annotations

from acmehub.domain.dns_challenges import persist_issuer_domains
from acmehub.protocol.links import Link
from acmehub.protocol.render import authorization_json, challenge_json
from acmehub.protocol.request import AcmeRequest, Reply
from acmehub.services.authorizations import ChallengeView


def authorization(req: AcmeRequest) -> Reply:
    auth = req.auth()
    account_id = auth.account_id or ""
    if auth.jws.is_post_as_get:
        view = req.services.authorizations.get(auth.ctx, account_id, req.object_id)
    else:
        view = req.services.authorizations.deactivate(
            auth.ctx, account_id, req.object_id, auth.jws.json_payload()
        )
    issuers = persist_issuer_domains(req.ctx.acme_profile, req.ctx.ra_profile)
    reply = Reply(json=authorization_json(view.authorization, view.status, req.links, issuers))
    if view.retry_after is not None:
        reply.headers["Retry-After"] = str(view.retry_after)
    return reply


def new_authz(req: AcmeRequest) -> Reply:
    """RFC 8555 §7.4.1 (and RFC 9444 §4.2): 201 with the new authorization at its Location."""
    auth = req.auth()
    authz = req.services.preauthorizations.new_authz(
        auth.ctx, auth.account_id or "", auth.jws.json_payload()
    )
    return Reply(
        status=201,
        json=authorization_json(authz, authz.status, req.links),
        headers={"Location": req.links.url(Link.AUTHZ, authz.id)},
    )


def _challenge_reply(req: AcmeRequest, view: ChallengeView) -> Reply:
    issuers = persist_issuer_domains(req.ctx.acme_profile, req.ctx.ra_profile)
    reply = Reply(
        json=challenge_json(view.challenge, req.links, issuers),
        # RFC 8555 §7.5.1: the challenge links "up" to its authorization.
        headers={"Link": f'<{req.links.url(Link.AUTHZ, view.authorization_id)}>;rel="up"'},
    )
    if view.retry_after is not None:
        reply.headers["Retry-After"] = str(view.retry_after)
    return reply


def challenge(req: AcmeRequest) -> Reply:
    auth = req.auth()
    account_id = auth.account_id or ""
    if auth.jws.is_post_as_get:
        view = req.services.authorizations.get_challenge(auth.ctx, account_id, req.object_id)
    else:
        auth.jws.json_payload()  # RFC 8555 §7.5.1: the response is the JSON object {}
        view = req.services.authorizations.respond(auth.ctx, account_id, req.object_id)
    return _challenge_reply(req, view)
