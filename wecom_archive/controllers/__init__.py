from . import callback, media, qr_login
