"""A stand-in for a Jitsi Meet deployment, for the browser tests: an HTTPS server on
loopback (a self-signed certificate the test browser is told to accept) serving
``external_api.js`` and the room's page.

The script follows the IFrame API's documented surface (``new JitsiMeetExternalAPI(domain,
options)``, ``addListener``, ``executeCommand``, ``getIFrame``, ``dispose``): it records the
options the hearing page passed (room, token, language, user, the frame's ``allow``
attribute) and the commands it sent, in ``window.__jitsiStub``, puts the room's page in a
frame, and once that frame has loaded fires ``videoConferenceJoined`` and, for a token whose
user is a moderator, ``participantRoleChanged`` with the role ``moderator``, as Jitsi does.
``window.__jitsiApi.hangUp()`` fires ``videoConferenceLeft``.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EXTERNAL_API = r"""
(function () {
  "use strict";
  function claimsOf(jwt) {
    try {
      var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      return JSON.parse(atob(part));
    } catch (error) {
      return null;
    }
  }
  window.__jitsiStub = window.__jitsiStub || [];
  window.JitsiMeetExternalAPI = function (domain, options) {
    var listeners = {};
    var record = {
      domain: domain,
      roomName: options.roomName,
      jwt: options.jwt || "",
      lang: options.lang,
      userInfo: options.userInfo || {},
      configOverwrite: options.configOverwrite || {},
      commands: [],
      allow: "",
      disposed: false
    };
    window.__jitsiStub.push(record);
    var iframe = document.createElement("iframe");
    // The real script sets its own list; the page is expected to set the hearing's.
    iframe.setAttribute("allow", "camera; microphone");
    iframe.src = "https://" + domain + "/" + encodeURIComponent(options.roomName);
    options.parentNode.appendChild(iframe);
    function fire(name, event) {
      (listeners[name] || []).forEach(function (listener) { listener(event || {}); });
    }
    this.addListener = function (name, listener) {
      (listeners[name] = listeners[name] || []).push(listener);
    };
    this.executeCommand = function (name, value) { record.commands.push([name, value]); };
    this.getIFrame = function () { return iframe; };
    this.dispose = function () { record.disposed = true; iframe.remove(); };
    this.hangUp = function () { fire("videoConferenceLeft", { roomName: options.roomName }); };
    iframe.addEventListener("load", function () {
      record.allow = iframe.getAttribute("allow");
      fire("videoConferenceJoined", { roomName: options.roomName });
      var claims = claimsOf(record.jwt);
      var user = claims && claims.context && claims.context.user;
      if (user && (user.moderator === true || user.moderator === "true")) {
        fire("participantRoleChanged", { id: "local", role: "moderator" });
      }
    });
    window.__jitsiApi = this;
  };
})();
"""

ROOM_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stub Jitsi room</title></head>
<body><main><h1>Stub Jitsi room</h1></main></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path == "/external_api.js":
            body, kind = EXTERNAL_API.encode(), "text/javascript; charset=utf-8"
        else:
            body, kind = ROOM_PAGE.encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "jitsi-stub.crt", folder / "jitsi-stub.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class JitsiStub:
    """The stub deployment on a free loopback port; ``domain`` is what Tribune is given."""

    def __init__(self, folder: Path) -> None:
        cert_path, key_path = _self_signed(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.requests = []  # type: ignore[attr-defined]
        self.domain = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="jitsi-stub", daemon=True
        )

    @property
    def requests(self) -> list[str]:
        found: list[str] = self.server.requests  # type: ignore[attr-defined]
        return found

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
