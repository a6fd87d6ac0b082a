"""The one door to Google: nothing outside this package imports googleapiclient.

- clients.py   the Data API, Content ID (vendored youtubePartner.v1.json) and Reporting clients,
               pointed at YOUTUBE_*_ENDPOINT (Google or the emulator);
- gateway.py   YouTubeSession.execute: quota ledger, retries, token refresh, typed errors, ApiCall;
- errors.py    decide(): errors[0].reason → retry / refresh / quota / fail, and the typed errors;
- costs.py     quota units per method, with their source;
- auth.py      google-auth credentials from a stored YouTubeCredential;
- oauth.py     the consent flow (google-auth-oauthlib, offline access, PKCE);
- mapping.py   API resources ↔ catalogue field names.
"""
