"""Creates one of each resource on a running Kiosque through its API and prints their ids as
shell `export` lines, so Schemathesis (see schemathesis.toml) exercises the answers of existing
resources, not only their 404s. Uses the standard library only.

usage: python3 seed.py BASE_URL   (admin token in SPIN_VARIABLE_ADMIN_TOKEN)
"""

import datetime
import json
import os
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
TOKEN = os.environ["SPIN_VARIABLE_ADMIN_TOKEN"]
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def post(path, body):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        sys.exit(f"seeding {path} failed: {e.code} {e.read().decode(errors='replace')}")


ids = {}
ids["KQ_POLL_ID"] = post(
    "/api/polls", {"question": "Votre rendez-vous préféré ?", "options": ["Contes", "Concerts"]}
)["id"]
ids["KQ_QUESTION_ID"] = post(
    "/api/questions", {"text": "Quel livre vous a marqué cette année ?"}
)["id"]
ids["KQ_CONTEST_ID"] = post(
    "/api/contests",
    {
        "title": "Concours de nouvelles",
        "rules": "Une nouvelle de deux pages.",
        "categories": [{"slug": "adultes", "name": "Adultes"}],
        "submissions_open": "2020-01-01T00:00:00Z",
        "submissions_close": "2099-01-01T00:00:00Z",
        "jury": True,
    },
)["id"]
ids["KQ_SHOWCASE_ID"] = post(
    "/api/showcases",
    {
        "kind": "playlist",
        "title": "Chansons d'hiver",
        "items": [{"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg"}],
    },
)["id"]
ids["KQ_EVENT_ID"] = post(
    "/api/events",
    {
        "title": "Atelier d'écriture",
        "starts_at": "2099-12-12T14:00",
        "ends_at": "2099-12-12T16:00",
        "time_zone": "Europe/Paris",
        "place": {"name": "Salle du conte"},
    },
)["id"]
ids["KQ_TUTORIAL_SLUG"] = post(
    "/api/tutorials",
    {
        "slug": "lire-en-ligne",
        "title": "Lire en ligne",
        "summary": "Pas à pas.",
        "level": "beginner",
        "service": {"name": "Numérique", "url": "https://numerique.bib.example"},
        "tags": ["Numérique"],
        "steps": [{"title": "Ouvrir", "text": "Ouvrez le site."}],
    },
)["slug"]
ids["KQ_CAMPAIGN_ID"] = post(
    "/api/campaigns",
    {
        "name": "Partir en livre",
        "slug": "partir-en-livre",
        "starts_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=90)).isoformat(),
        "hashtags": ["PartirEnLivre"],
    },
)["id"]

for name, value in ids.items():
    print(f"export {name}={value}")
