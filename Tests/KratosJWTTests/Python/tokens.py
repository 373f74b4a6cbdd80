"""Keys and tokens for the JWT tests, made by an implementation independent of jwt-kit
(pyjwt with cryptography). Every key is generated afresh: nothing secret is kept.

Usage: tokens.py DIR SECRET
Writes into DIR the public keys (rsa.pem, ec.pem, ed.pem), the client's signing keys
(ec-private.pem, rsa-private.pem) and three JSON Web Key Sets:
  jwks-1.json  {k1: RSA key A, no "alg"}
  jwks-2.json  {k2: EC P-256 key, "alg": "ES256"}
  jwks-3.json  {k1: RSA key C (a new key under the old kid), k2: the EC key}
Prints one JSON object: token name -> token.
"""
import base64
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

out, secret = sys.argv[1], sys.argv[2]
now = int(time.time())
claims = {"sub": "alice", "iat": now, "exp": now + 600, "role": "admin", "scopes": ["read", "write"]}


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def write(name, text):
    with open(os.path.join(out, name), "w") as handle:
        handle.write(text)


def jwk(key, kid, alg=None):
    algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    entry = algorithm.to_jwk(key.public_key(), as_dict=True)
    entry["kid"] = kid
    entry["use"] = "sig"
    if alg:
        entry["alg"] = alg
    return entry


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


rsa_a, rsa_b, rsa_c = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3))
ec_key, ec_other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()

write("rsa.pem", public_pem(rsa_a))
write("rsa-private.pem", private_pem(rsa_a))
write("ec.pem", public_pem(ec_key))
write("ec-private.pem", private_pem(ec_key))
write("ed.pem", public_pem(ed_key))
write("jwks-1.json", json.dumps({"keys": [jwk(rsa_a, "k1")]}))
write("jwks-2.json", json.dumps({"keys": [jwk(ec_key, "k2", "ES256")]}))
write("jwks-3.json", json.dumps({"keys": [jwk(rsa_c, "k1"), jwk(ec_key, "k2", "ES256"),
                                          {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}]}))

tokens = {
    "hs256": jwt.encode(claims, secret, algorithm="HS256"),
    "hs256_kid": jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "any"}),
    "rs256": jwt.encode(claims, rsa_a, algorithm="RS256"),
    "es256": jwt.encode(claims, ec_key, algorithm="ES256"),
    "eddsa": jwt.encode(claims, ed_key, algorithm="EdDSA"),
    "expired": jwt.encode({**claims, "iat": now - 1200, "exp": now - 600}, secret, algorithm="HS256"),
    "expired_5s": jwt.encode({**claims, "iat": now - 600, "exp": now - 5}, secret, algorithm="HS256"),
    "not_before": jwt.encode({**claims, "nbf": now + 600}, secret, algorithm="HS256"),
    "issued_later": jwt.encode({**claims, "iat": now + 600}, secret, algorithm="HS256"),
    "wrong_secret": jwt.encode(claims, "not-the-secret-" + secret, algorithm="HS256"),
    "wrong_rsa": jwt.encode(claims, rsa_b, algorithm="RS256"),
    "wrong_ec": jwt.encode(claims, ec_other, algorithm="ES256"),
    "none": jwt.encode(claims, None, algorithm="none"),
    "hs512": jwt.encode(claims, secret, algorithm="HS512"),
    "crit": jwt.encode(claims, secret, algorithm="HS256", headers={"crit": ["exp"]}),
    "garbage": "garbage",
    "not_json": b64(b"not json") + "." + b64(b"{}") + "." + b64(b"sig"),
    "exp_text": jwt.encode({**claims, "exp": "tomorrow"}, secret, algorithm="HS256"),
    # Tokens of the key sets: kid k1 by RSA key A and key C, kid k2 by the EC key.
    "k1_a": jwt.encode(claims, rsa_a, algorithm="RS256", headers={"kid": "k1"}),
    "k1_a_ps256": jwt.encode(claims, rsa_a, algorithm="PS256", headers={"kid": "k1"}),
    "k1_c": jwt.encode(claims, rsa_c, algorithm="RS256", headers={"kid": "k1"}),
    "k2": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "k2"}),
    "k2_hs256": jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "k2"}),
    "k9": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "k9"}),
}
print(json.dumps(tokens))
