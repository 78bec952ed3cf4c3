"""Error pages any market (or the proxy in front of it) serves: login walls, CAPTCHAs, DDoS
interstitials, server errors, empty answers. Layouts call this when a page is none of theirs.

The checks look at the title, the forms and the visible text of pages that have little of it:
a listing that merely mentions 'captcha' in its description is not a CAPTCHA page.
"""

from __future__ import annotations

import re2

from dnmobs.markets import model
from dnmobs.markets.doc import Doc

_SHORT_TEXT = 3000  # an error page says little; a page with more text than this is not one
_HTTP_TITLE = re2.compile(
    r"(?i)\b(400|401|403|404|408|410|429|500|502|503|504)\b|not found|bad gateway|service unavailable|"
    r"internal server error|forbidden|gateway time-?out|too many requests")
_DDOS = re2.compile(r"(?i)ddos|checking your browser|please wait while|queue|you will be redirected|"
                    r"anti-?bot|verifying you are human")
_CAPTCHA = re2.compile(r"(?i)captcha|enter the (characters|code|letters)|security check")
_LOGIN = re2.compile(r"(?i)log ?in|sign ?in|password")


def classify(doc: Doc) -> str | None:
    """The kind of error page this is, or None when it looks like content."""
    if doc.http_status is not None and doc.http_status >= 400:
        return model.HTTP
    text = doc.body_text()
    title = doc.text("title") or ""
    if not text and not title:
        return model.TRUNCATED if doc.truncated and doc.size > 0 else model.EMPTY
    if len(text) > _SHORT_TEXT:
        return None
    has_password = doc.first('input[type="password"]') is not None
    captcha_field = doc.first('img[src*="captcha" i], input[name*="captcha" i], [class*="captcha" i], '
                              '[id*="captcha" i]') is not None
    if captcha_field or (_CAPTCHA.search(title) or (_CAPTCHA.search(text) and len(text) < 600)):
        return model.CAPTCHA
    if has_password or (_LOGIN.search(title) and doc.first("form") is not None):
        return model.LOGIN
    if _DDOS.search(title) or (_DDOS.search(text) and len(text) < 600):
        return model.DDOS
    if _HTTP_TITLE.search(title) or (_HTTP_TITLE.search(text) and len(text) < 300):
        return model.HTTP
    if doc.truncated and len(text) < 200:
        return model.TRUNCATED
    return None
