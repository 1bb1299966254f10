"""A stand-in for WhatsApp's servers: QR codes, phones that scan them, delivery between sessions."""
