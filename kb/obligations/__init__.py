"""Obligation extraction: who must do what, by when, under which condition, with the source quote.

How the rules are organised
---------------------------
Everything language-specific lives in ``kb/data/obligation_rules.yaml``, one section per
language (``ru``, ``kk``). Adding a verb or a pattern is one line there:

* ``triggers`` — ordered list; the first that fires on a clause wins. Each names its
  ``modality`` (duty / prohibition / request / recommendation) and where the actor sits
  (``actor``): ``after_trigger`` ("поручает секретариату ..."), ``dative_start`` (RU resolutions:
  "Министерству ... принять меры"), ``subject_before`` ("Юридические лица ... обязаны", KK
  "... министрлігі ... қабылдасын"), ``dative_before`` (KK "... орынбасарына жүктелсін"), ``after_na``
  ("возложить на ..."), ``none`` (impersonal prohibitions). ``require_actor: true`` drops clauses
  without an actor — a resolution's own dispositive acts ("Расширить территорию ...",
  "... кеңейтілсін") bind nobody; ``false`` reads them with ``actor=None`` and an ``actor_reason``,
  which ``extract`` then drops (issue 12: an obligation with no identifiable actor is not emitted, in
  any kind of act; ``extract(doc, actorless=True)`` keeps them for tests).
  ``final: true`` makes a Kazakh verb count only clause-finally (SOV order). The special pattern
  ``<INFINITIVE>`` is the RU "dative addressee + infinitive" rule, found with pymorphy3.
* ``enacting`` (ПОСТАНОВЛЯЕТ, ҚАУЛЫ ЕТЕДІ ...) and ``exclude`` (entry into force, "изложить в
  следующей редакции", "толықтырылсын", definitions, recitals) — clauses that are never obligations.
* ``actor_stop`` / ``actor_stop_phrase`` — where an actor phrase ends ("до 1 декабря", "в
  установленном порядке", "заңнамада белгіленген тәртіппен"); ``actor_heads`` — stems of nouns
  that can be bound (a subject like "Заключение должно ..." is not an actor); for Kazakh,
  ``actor_case_excluded`` lists the oblique endings that make a head a modifier.
* ``condition`` and ``deadline`` — markers ("при условии", "в случае", "жағдайда", "болған
  кезде"; "до", "не позднее", "дейін", "мерзімде"). Deadline ISO values come from the date tagger.
* ``table`` — header regexes for the action / deadline / responsible columns of plan tables.
* ``coordination`` — where one clause holds two actions ("собирать информацию ... и представить
  доклад", "... күшейтілсін және ... қамтамасыз етілсін"). A trigger may carry its own
  ``coordination`` (KK modals: "... органға хабарлауға және ... шараны қабылдауға міндетті").
  A deadline opening an action, or a condition opening it and closed by a comma, is left out of
  the action text (it has its own field).

Processing (``extract.py``): blocks -> clauses (sentences and "1)" sub-points, offsets kept) ->
a lead-in ending in ":" with its sub-points is one group whose every sub-point is one obligation of
the lead-in's actor; in Kazakh the verb often closes the *last* sub-point ("... әзірлеуге
міндетті.", "... қамтамасыз етсін."), so the group takes its trigger from there -> each other
clause is matched against the triggers. Plan table rows (header with measure / deadline /
responsible) give one obligation per row.

Decisions recorded here: coordinated actions with their own objects in one clause become one
obligation each (same quote; the deadline is searched in each action's own words first, then in
the shared words between actor and verb; the condition applies to all). Sub-points are never
split; a sub-point carries its lead-in's condition joined with its own ("A; B"). The quote of a
sub-point is the sub-point itself (its actor sits in the lead-in). Plan rows with several
bodies ("МЧС, МЭГПР") are one obligation whose actor text names all of them; ``Actor.ids`` links every
one of them (``Actor.id`` stays the first), ``Actor.roles`` the generic actors ("уполномоченный орган"
-> ``role:authorized-body``, kb/data/actor_roles.yaml), and a role the act defines ("... (далее –
уполномоченный орган)") resolves to that body (``actors.py``).

Deadlines are data (``deadlines.py``, cues in kb/data/deadlines.yaml): an absolute date or interval,
a relative deadline (ISO 8601 duration, working days or not, and the event it counts from), a recurring
one as an RFC 5545 rule; ``next_due(deadline, as_of)`` gives the next date. What cannot be read keeps
its text with ``value`` null and a ``reason``. The register (status as of a day, due-date sort, filters)
is SQL in kb/store.py; ``register.py`` reads the same for an unstored file, ``export.py`` is the one CSV
writer (CLI and API), ``ics.py`` the iCalendar feed. Kazakh endings the extractor uses are in
kb/data/kk_cues.yaml; sentences are cut by kb/lang/sentences.py (shared with answers and chunking).

Parser and tagger: ``adapters.py`` calls ``ingest.parse_file`` and ``kb.entities.tag_document`` /
``kb.entities.extract``. In laws and Codes only explicit modal markers count (обязан, должен, запрещается, не допускается,
тиіс, міндетті, тыйым салынады ...). In Rules and Regulations (by title) present-tense duties of an
identified actor count too ("Уполномоченный орган направляет ...", "Уәкілетті орган ... жібереді"),
agentive passives ("... принимается Правительством") and lead-ins with their sub-points, read by
``present.py`` (cues in ``kb/data/duty_verbs.yaml``; the Russian subject / agent from natasha's
syntax parse, ``syntax.py``, where two actor nouns compete) for clauses no modal trigger claimed.
``pairing.py`` gives each record a ``pair_key`` shared by the Kazakh and Russian versions of an act;
``paired.py`` shows such a pair once in the register with both quotes (API ``view=paired``, the CLI
table, the staff page, the paired .ics feed and the paired CSV). Quotes are exact slices of ``doc.text``.
"""

from .extract import extract
from .registry import (
    CSV_COLUMNS,
    export_csv,
    filter_obligations,
    obligations_for_document,
    obligations_for_file,
    obligations_json,
    to_csv,
)

__all__ = ["extract", "obligations_for_file", "obligations_for_document", "obligations_json", "filter_obligations",
           "to_csv", "export_csv", "CSV_COLUMNS"]
