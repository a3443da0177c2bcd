# SCRAM-SHA-256 verifier of a password, computed on the controller, so that only the verifier
# (never the password) is sent to the server, and a second run can compare it with pg_authid.
# The salt is derived from the role name and the password: stable across runs (idempotence),
# different for every role and password. Format: RFC 5803 as PostgreSQL stores it.
import base64
import hashlib
import hmac


def scram_sha256(password, role, iterations=4096):
    salt = hashlib.sha256(('asd-lab-scram:%s:%s' % (role, password)).encode()).digest()[:16]
    salted = hashlib.pbkdf2_hmac('sha256', password.encode(), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % (iterations, b64(salt), b64(stored_key), b64(server_key))


class FilterModule(object):
    def filters(self):
        return {'scram_sha256': scram_sha256}
