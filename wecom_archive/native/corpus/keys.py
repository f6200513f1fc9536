"""RSA key pairs for synthetic corpora (the demo corp's 消息加密公钥 versions)."""

import os

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_key_pair(bits=2048):
    """(private PEM in PKCS#1, public PEM) of a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits, backend=default_backend())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem.decode(), public_pem.decode()


def write_key_pairs(out_dir, versions):
    """Write private_v<N>.pem / public_v<N>.pem for each version; return {version: paths}."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for version in versions:
        private_pem, public_pem = new_key_pair()
        private_path = os.path.join(out_dir, f"private_v{version}.pem")
        public_path = os.path.join(out_dir, f"public_v{version}.pem")
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(private_pem)
        with open(public_path, "w") as handle:
            handle.write(public_pem)
        paths[version] = (private_path, public_path)
    return paths
