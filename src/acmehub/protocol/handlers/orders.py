"""new-order (RFC 8555 §7.4), order/{id} (§7.1.3), order/{id}/finalize (§7.4)."""

from __future__ import annotations

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import OrderStatus
from acmehub.protocol.jose_encoding import b64url_decode
from acmehub.protocol.links import Link
from acmehub.protocol.render import order_json
from acmehub.protocol.request import AcmeRequest, Reply, require_post_as_get
from acmehub.services.orders import OrderView


def _order_reply(req: AcmeRequest, view: OrderView, status: int = 200) -> Reply:
    reply = Reply(
        status=status,
        json=order_json(view.order, view.status, req.links),
        headers={"Location": req.links.url(Link.ORDER, view.order.id)},
    )
    if view.status is OrderStatus.PROCESSING:
        # Finalize signs before it answers: an order seen processing is being signed by another
        # request right now (or its process died and housekeeping will take it over).
        reply.headers["Retry-After"] = "1"
    return reply


def new_order(req: AcmeRequest) -> Reply:
    auth = req.auth()
    order = req.services.orders.new_order(auth.ctx, auth.account_id or "", auth.jws.json_payload())
    return _order_reply(req, OrderView(order, order.status), status=201)


def order(req: AcmeRequest) -> Reply:
    auth = req.auth()
    require_post_as_get(auth)
    view = req.services.orders.get(auth.ctx, auth.account_id or "", req.object_id)
    return _order_reply(req, view)


def finalize(req: AcmeRequest) -> Reply:
    auth = req.auth()
    payload = auth.jws.json_payload()
    csr = payload.get("csr")
    if not isinstance(csr, str):
        raise DomainError(ErrorKind.MALFORMED, "finalize payload needs a csr string")
    csr_der = b64url_decode(csr, "csr")
    view = req.services.finalize.finalize(
        auth.ctx, auth.account_id or "", req.object_id, csr_der, auth.key.spki_sha256()
    )
    return _order_reply(req, view)
