from . import callback, evidence, media, qr_login
