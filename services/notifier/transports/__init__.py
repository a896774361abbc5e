"""Ways a message leaves: SMTP or an HTTP e-mail API for e-mail, a webhook for chat."""
