"""Placeholders for provider-neutral resources (random, tls)."""

from __future__ import annotations

from collections.abc import Callable

from infra.tooling.plan.placeholders.base import Outputs, token


def _random_password(name: str, inputs: Outputs) -> Outputs:
    length = int(inputs.get("length", 32))
    return {"result": ("placeholder" + token(name, 64))[:length]}


def _private_key(name: str, inputs: Outputs) -> Outputs:
    return {
        "privateKeyOpenssh": f"placeholder-private-key-{token(name)}",
        "privateKeyPem": f"placeholder-private-key-{token(name)}",
        "publicKeyOpenssh": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{token(name, 43)} placeholder",
        "publicKeyFingerprintSha256": f"SHA256:{token(name, 43)}",
    }


# type token -> outputs the provider would compute (merged over the inputs)
COMPUTED: dict[str, Callable[[str, Outputs], Outputs]] = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "tls:index/privateKey:PrivateKey": _private_key,
}

# type token -> output names the provider marks secret
SECRET_OUTPUTS: dict[str, frozenset[str]] = {
    "random:index/randomPassword:RandomPassword": frozenset({"result", "bcryptHash"}),
    "tls:index/privateKey:PrivateKey": frozenset({"privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"}),
}
