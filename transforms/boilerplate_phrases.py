"""Phrase knowledge for boilerplate stripping, per language.

``PHRASES`` maps a language code to a :class:`PhraseSet`:

* ``widgets``: reason -> regular expressions that mark a whole *short* line as site furniture when
  they match anywhere in it (share/follow/subscribe buttons, login and cookie prompts, newsletter
  consent, error widgets, comment forms, ...). Only lines of at most
  ``BoilerplateConfig.phrase_max_words`` words are tested, so a body sentence that merely mentions a
  newsletter is not cut.
* ``markers``: kind -> regular expressions that must match the *whole* line (after trimming
  punctuation); such a line opens a trailing section of other content ("Related articles",
  "More from", "Leave a comment"): kind becomes the reason ``after_section_marker:<kind>``.

To add a language, add one entry to ``_RAW`` with the same shape; nothing else changes. All patterns
are compiled case-insensitively. Lines are matched after :func:`transforms.normalization.normalize_line`,
so typographic quotes and dashes are already ASCII (``'`` ``"`` ``-``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# reason -> patterns (searched in a short line)
_Widgets = dict[str, tuple[str, ...]]
# kind -> patterns (full match of a short standalone line)
_Markers = dict[str, tuple[str, ...]]

_RAW: dict[str, tuple[_Widgets, _Markers]] = {
    "en": (
        {
            "share_widget": (
                r"^(share|shares|tweet|pin it|email|e-mail|print|whatsapp|copy link|sharing is caring!?)$",
                r"^share (this|on|via|article|story|the story|to)\b",
                r"^\d+\s+shares?$",
                r"^(facebook|twitter|linkedin|pinterest|reddit|flipboard|whatsapp|email|print|mix)"
                r"((\s|,|\||/)+(facebook|twitter|linkedin|pinterest|reddit|flipboard|whatsapp|email|print|mix))+$",
                r"\bclick to share\b", r"\bshare (this|on) (facebook|twitter|linkedin)\b",
            ),
            "follow_widget": (
                r"^follow (us|me|@|[\w .&']{1,40} on (facebook|twitter|instagram|linkedin|flipboard|rss|x))\b",
                r"\bfollow us on\b", r"\blike us on facebook\b",
            ),
            "login_prompt": (
                r"\b(log|sign) ?in to (comment|continue|read|reply|your account)\b",
                r"\bplease (refresh|reload) (the|your) (page|browser)\b",
                r"^(log ?in|sign ?in|sign ?up|register|log ?out|sign ?out|my account|create (an )?account)$",
                r"\balready (a subscriber|have an account)\b", r"\bforgot (your )?password\b",
            ),
            "subscription": (
                r"^subscribe( now| today| here)?!?$", r"\bsubscribe to (our|the|my)\b",
                r"\bsubscribers? (only|exclusive)\b", r"\b(start|get) your (free )?(trial|subscription)\b",
                r"\bsupport (independent|our) journalism\b", r"\bbecome a (member|subscriber)\b",
                r"\bunlimited (digital )?access\b",
                # A short line that opens with "Join" asks the reader to join something: a community, the
                # conversation, the subscribers, a newsletter ("Join 513 other subscribers", "Join the
                # Conversation", "Join our community").
                r"^join\b",
            ),
            "newsletter": (
                r"\bnewsletters?\b", r"\bsign up (for|to) (our|the|my)\b",
                r"\bdelivered (straight )?to your inbox\b",
                # Push, browser and e-mail alerts ("Get push notifications from ...", "Receive Email
                # Notifications?"); not "notifications to next of kin", which is news.
                r"\b(push|e-?mail|browser|desktop) notifications\b",
                r"\benter your e-?mail\b", r"\bemail address\b.*\b(subscribe|sign up)\b",
            ),
            "cookie_consent": (
                r"\bcookies?\b.*\b(accept|consent|agree|policy|settings|improve|experience|use)\b",
                r"\b(accept|agree to) (all )?cookies\b", r"\bprivacy (policy|notice|settings)\b",
                r"\bmanage (your )?(consent|preferences|cookies)\b",
                r"\bterms (of (use|service)|and conditions)\b",
            ),
            "error_widget": (
                r"^error( message)?!?$", r"\ban error (has )?occurred\b", r"\b(please try again|try again later)\b",
                r"\b(javascript|your browser) (is )?(disabled|not supported)\b",
                r"\benable javascript\b", r"\bloading\.{0,3}$",
            ),
            "comment_widget": (
                r"^(leave a (comment|reply)|post a comment|add a comment|\d+ comments?|comments?|reply|"
                r"cancel reply|view comments|show comments|join the (conversation|discussion))\b.{0,30}$",
                r"^\d+ (responses|replies|comments|thoughts) (to|on)\b",
                r"\byour email address will not be published\b", r"\brequired fields are marked\b",
                # Rating widgets: "Rating: 17 Votes", "5 from 13 votes".
                r"^(rating:? )?(\d+(\.\d+)? (from|of|out of) )?\d[\d,]* votes?$", r"\bsave my name, email\b",
                r"\bnotify me of (new|follow-up)\b", r"\buses akismet\b",
                r"\bcommenting (is|are) (closed|disabled)\b", r"\bcomment data is processed\b",
            ),
            "advertisement": (
                r"^(advertisement|advertising|sponsored( content)?|ad|promoted( content)?|"
                r"story continues below( advertisement)?|continue reading (below|the main story))$",
                r"^scroll (down )?to continue\b",
            ),
            "navigation": (
                r"^(home|menu|search|close|back to top|skip to (main )?content|next|previous|"
                r"next post|previous post|previous article|next article|older posts|newer posts|"
                r"go to top|main menu|toggle navigation|open menu|close menu)$",
                r"^(home|news)( ?[>/»|] ?[\w' &-]{1,40}){1,6}$",
            ),
            "copyright": (
                r"(©|\(c\)|\bcopyright\b).{0,80}\b(\d{4}|all rights? reserved)\b",
                r"\ball rights? reserved\b",
            ),
            # A blog post's footer: where it was filed and how it was tagged.
            "post_metadata": (
                r"^this (entry|post) was posted in\b", r"^(posted|filed) (in|under)\b",
                r"^(tags|tagged|categories|filed under)\s*:", r"\bbookmark the permalink\b",
            ),
        },
        {
            "related": (
                r"related( articles?| stories| posts| content| news| coverage| reading| links)?",
                r"(you (may|might) (also )?(like|enjoy)|recommended( for you| stories| articles| reading)?)",
                r"(more (stories|articles|news|coverage|on this (story|topic))|most (read|popular|viewed|shared))",
                r"more( from| in| on)? [\w .&'-]{1,40}", r"(also read|see also|further reading|what to read next|trending( now)?)",
                r"(popular posts|recent posts|latest (news|stories|posts|articles)|top stories)",
            ),
            "comments": (
                r"(leave a (comment|reply)|post a comment|add a comment|\d+ comments?|comments?( \(\d+\))?|"
                r"join the (conversation|discussion)|discussion|reader comments|show comments|view comments)",
            ),
        },
    ),
    "de": (
        {
            "share_widget": (
                r"^(teilen|teile|drucken|twittern|mailen|e-mail|per e-mail (teilen|versenden)|link kopieren)$",
                r"^(artikel|beitrag|seite) (teilen|drucken|versenden|empfehlen)$",
                r"\bteilen (auf|mit|via)\b", r"^(gefällt mir|sharen mit)\b",
            ),
            "follow_widget": (r"\bfolgen sie uns\b", r"^folge (uns|mir)\b"),
            "login_prompt": (
                r"^(anmelden|einloggen|abmelden|ausloggen|registrieren|mein konto|login)$",
                r"\b(melden sie sich|loggen sie sich) .{0,40}\b(an|ein)\b",
                r"\bpasswort vergessen\b",
            ),
            "subscription": (
                r"^(jetzt )?abonnieren!?$", r"\bjetzt (testen|abonnieren|lesen)\b.*\b(abo|monat)\b",
                r"\b(digital-?)?abo(nnement)?\b.*\b(lesen|testen|abschließen)\b",
                r"\bplus-artikel\b", r"\bfür abonnenten\b",
            ),
            "newsletter": (
                r"\bnewsletter\b", r"\bin ihr postfach\b", r"\bihre e-mail-adresse\b",
            ),
            "cookie_consent": (
                r"\bcookies?\b.*\b(akzeptieren|zustimmen|einverstanden|verwenden|nutzen|einstellungen)\b",
                r"\bdatenschutz(erklärung|hinweise|einstellungen)?\b", r"^impressum\b",
                r"\bnutzungsbedingungen\b", r"^(agb|kontakt|barrierefreiheit)$",
            ),
            "error_widget": (
                r"\bein fehler ist aufgetreten\b", r"\bversuchen sie es (später )?erneut\b",
                r"\bjavascript (ist )?deaktiviert\b", r"^(wird geladen|lade)\s*\.{0,3}$",
            ),
            "comment_widget": (
                r"^(kommentar(e)?( schreiben| verfassen| abgeben| anzeigen)?|antworten|antwort abbrechen|"
                r"\d+ kommentare?|hinterlasse einen kommentar|schreibe einen kommentar|"
                r"diskutieren sie mit)\b.{0,30}$",
                r"\bihre e-mail-adresse wird nicht veröffentlicht\b", r"\bpflichtfelder sind\b",
                r"\bdu kommentierst mit\b", r"\bgib hier deinen kommentar ein\b",
                r"\bbenachrichtige mich\b", r"\bbenachrichtigung bei weiteren kommentaren\b",
            ),
            "advertisement": (r"^(anzeige|werbung|gesponsert|sponsored)$",),
            "navigation": (
                r"^(startseite|menü|suche|schließen|nach oben|zum inhalt( springen)?|springe direkt zu:?|"
                r"weiter|zurück|vorheriger beitrag|nächster beitrag|hauptmenü|servicemenü|navigation)$",
                r"^(startseite|home)( ?[>/»|] ?[\w' &-]{1,40}){1,6}$",
            ),
            "copyright": (r"\balle rechte vorbehalten\b",),
            "post_metadata": (
                r"^dieser (beitrag|eintrag|artikel) wurde\b.{0,60}\bveröffentlicht\b",
                r"^veröffentlicht in\b", r"^(schlagwörter|schlagworte|kategorien|getaggt (mit|als))\b",
            ),
        },
        {
            "related": (
                r"(ähnliche|verwandte|weitere|mehr) (artikel|beiträge|themen|nachrichten|meldungen|zum thema)",
                r"(das könnte sie auch interessieren|auch interessant|lesen sie auch|mehr zum thema|"
                r"meistgelesen|am meisten gelesen|top-themen|neueste beiträge|letzte beiträge)",
                r"mehr (von|aus) [\w .&'-]{1,40}",
            ),
            "comments": (
                r"(kommentare( \(\d+\))?|\d+ kommentare?|kommentar (schreiben|verfassen)|"
                r"hinterlasse einen kommentar|schreibe einen kommentar|diskussion|leserkommentare)",
            ),
        },
    ),
    "fr": (
        {
            "share_widget": (r"^(partager|partagez|imprimer|envoyer)( (sur|par) \w+| cet article)?$",),
            "follow_widget": (r"\bsuivez-nous\b", r"^nous suivre\b"),
            "login_prompt": (r"^(se connecter|connexion|s'inscrire|mon compte|déconnexion)$",
                             r"\bmot de passe oublié\b"),
            "subscription": (r"^(s'abonner|abonnez-vous)\b", r"\bréservé aux abonnés\b"),
            "newsletter": (r"\bnewsletter\b", r"\blettre d'information\b", r"\bvotre (adresse )?e-?mail\b"),
            "cookie_consent": (r"\bcookies?\b.*\b(accepter|consentement|paramétrer|utilise)\b",
                               r"\bpolitique de confidentialité\b", r"^mentions légales$"),
            "error_widget": (r"\bune erreur (s'est produite|est survenue)\b", r"\bréessayer plus tard\b"),
            "comment_widget": (r"^(laisser un commentaire|commentaires?|répondre|\d+ commentaires?)\b.{0,30}$",
                               r"\bvotre adresse (e-?mail|de messagerie) ne sera pas publiée\b"),
            "advertisement": (r"^(publicité|sponsorisé)$",),
            "navigation": (r"^(accueil|menu|rechercher|fermer|haut de page|retour en haut|suivant|précédent)$",),
            "copyright": (r"\btous droits réservés\b",),
        },
        {
            "related": (r"(articles? (similaires|liés|associés)|à lire aussi|lire aussi|sur le même sujet|"
                        r"les plus lus|voir aussi|à voir aussi|plus d'articles)",),
            "comments": (r"(commentaires?( \(\d+\))?|laisser un commentaire|\d+ commentaires?)",),
        },
    ),
    "es": (
        {
            "share_widget": (r"^(compartir|comparte|imprimir|enviar)( en \w+| este artículo| esta noticia)?$",),
            "follow_widget": (r"\bsíguenos\b", r"^seguir a\b"),
            "login_prompt": (r"^(iniciar sesión|acceder|registrarse|regístrate|mi cuenta|cerrar sesión)$",
                             r"\bolvidaste (tu )?contraseña\b"),
            "subscription": (r"^(suscríbete|suscribirse)\b", r"\bsolo para suscriptores\b"),
            "newsletter": (r"\bnewsletter\b", r"\bboletín\b", r"\btu (correo|e-?mail)\b"),
            "cookie_consent": (r"\bcookies?\b.*\b(aceptar|acepto|consentimiento|configurar|utiliza|usamos)\b",
                               r"\bpolítica de (privacidad|cookies)\b", r"^aviso legal$"),
            "error_widget": (r"\bse ha producido un error\b", r"\binténtalo (de nuevo )?más tarde\b"),
            "comment_widget": (r"^(deja un comentario|comentarios?|responder|\d+ comentarios?)\b.{0,30}$",
                               r"\btu (dirección de )?correo electrónico no será publicad[ao]\b"),
            "advertisement": (r"^(publicidad|patrocinado)$",),
            "navigation": (r"^(inicio|menú|buscar|cerrar|volver arriba|siguiente|anterior)$",),
            "copyright": (r"\btodos los derechos reservados\b",),
        },
        {
            "related": (r"(noticias relacionadas|artículos relacionados|te puede interesar|lo más (leído|visto)|"
                        r"también te puede interesar|más noticias|lee también|ver también)",),
            "comments": (r"(comentarios?( \(\d+\))?|deja un comentario|\d+ comentarios?)",),
        },
    ),
    "it": (
        {
            "share_widget": (r"^(condividi|stampa|invia)( su \w+| questo articolo)?$",),
            "follow_widget": (r"\bseguici\b",),
            "login_prompt": (r"^(accedi|registrati|il mio account|esci)$", r"\bpassword dimenticata\b"),
            "subscription": (r"^(abbonati|abbonarsi)\b", r"\briservato agli abbonati\b"),
            "newsletter": (r"\bnewsletter\b", r"\biscriviti alla\b"),
            "cookie_consent": (r"\bcookies?\b.*\b(accetta|consenso|utilizza|usiamo|impostazioni)\b",
                               r"\b(informativa|politica) (sulla )?privacy\b"),
            "error_widget": (r"\bsi è verificato un errore\b", r"\briprova più tardi\b"),
            "comment_widget": (r"^(lascia un commento|commenti|commenta|rispondi|\d+ commenti)\b.{0,30}$",
                               r"\bil tuo indirizzo email non sarà pubblicato\b"),
            "advertisement": (r"^(pubblicità|sponsorizzato)$",),
            "navigation": (r"^(home|menu|cerca|chiudi|torna su|successivo|precedente)$",),
            "copyright": (r"\btutti i diritti riservati\b",),
        },
        {
            "related": (r"(articoli correlati|potrebbe interessarti|leggi anche|i più letti|ti potrebbe interessare|"
                        r"altre notizie|notizie correlate)",),
            "comments": (r"(commenti( \(\d+\))?|lascia un commento|\d+ commenti)",),
        },
    ),
}


@dataclass(frozen=True)
class PhraseSet:
    """Compiled phrase knowledge of one language."""

    language: str
    widgets: tuple[tuple[str, re.Pattern[str]], ...]   # (reason, pattern), in declaration order
    markers: tuple[tuple[str, re.Pattern[str]], ...]   # (kind, whole-line pattern)


def _compile(language: str, widgets: _Widgets, markers: _Markers) -> PhraseSet:
    return PhraseSet(
        language=language,
        widgets=tuple((reason, re.compile(p, re.IGNORECASE)) for reason, ps in widgets.items() for p in ps),
        markers=tuple((kind, re.compile(rf"(?:{p})", re.IGNORECASE)) for kind, ps in markers.items() for p in ps),
    )


PHRASES: dict[str, PhraseSet] = {lang: _compile(lang, *entry) for lang, entry in _RAW.items()}
SHIPPED_LANGUAGES: tuple[str, ...] = tuple(PHRASES)


# ------------------------------------------------------------------ matching many patterns fast
# Testing ~160 patterns one by one costs ~80 us per short line. Nearly every pattern needs some literal
# text ("newsletter", "share ", "cookie"): a line that contains none of a pattern's literals cannot match
# it. The literals are read from each compiled pattern's parse tree, so they can never disagree with it;
# one trie-shaped regex per line finds which literals occur, and only the patterns they point at are
# searched, in declaration order: the first match wins, exactly as in the plain loop.
_FOLD_FIX = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})


def fold_case(text: str) -> str:
    """Lower case as ``re.IGNORECASE`` compares: one character per character (``str.lower`` turns
    U+0130 into two) and the characters ``re`` also matches to "i" and "s" (dotless i, long s)."""
    return text.lower() if text.isascii() else text.translate(_FOLD_FIX).lower()


_Literal = tuple[str, bool]  # (folded literal, starts at a word boundary in every match)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _requirement(items: list, word_start: bool) -> frozenset[_Literal] | None:
    """Literals at least one of which occurs in every match of the parsed sequence ``items``, or None.

    ``word_start``: the sequence begins right after a word boundary (``\\b``, ``^``)."""
    from re import _constants as c

    candidates: list[frozenset[_Literal]] = []
    run: list[str] = []
    run_word_start = word_start

    def flush() -> None:
        if run:
            literal = "".join(run)
            core = literal.lstrip("".join(ch for ch in literal if not _is_word_char(ch)))
            if core and (run_word_start or core != literal):
                # Right after a boundary, or after literal non-word characters: a word starts there.
                candidates.append(frozenset({(core, True)}))
            else:
                candidates.append(frozenset({(literal, False)}))
            run.clear()

    boundary = word_start
    for op, av in items:
        if op is c.LITERAL:
            if not run:
                run_word_start = boundary
            run.append(chr(av).lower())
            # After a non-word character, a word character starts a word.
            boundary = not _is_word_char(chr(av))
            continue
        flush()
        if op is c.AT:
            boundary = av in (c.AT_BOUNDARY, c.AT_BEGINNING, c.AT_BEGINNING_STRING)
            continue
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1 \
                and list(av[2]) == [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]:
            boundary = True  # after at least one whitespace character
            continue
        if op is c.SUBPATTERN:
            found = _requirement(av[-1], boundary)
            if found:
                candidates.append(found)
        elif op is c.BRANCH:
            branches = [_requirement(b, boundary) for b in av[1]]
            if all(branches):
                candidates.append(frozenset().union(*branches))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            found = _requirement(av[2], boundary)
            if found:
                candidates.append(found)
        boundary = False
    flush()
    if not candidates:
        return None
    # Prefer literals the gate finds at word starts only, then the longest shortest literal.
    return max(candidates, key=lambda lits: (all(w for _, w in lits), min(len(t) for t, _ in lits), -len(lits)))


def _prefix(items: list) -> frozenset[str] | None:
    """For a pattern anchored with ``^``: strings one of which every match starts with, or None."""
    from re import _constants as c

    if not items or items[0] != (c.AT, c.AT_BEGINNING):
        return None
    return _leading(items[1:])


def _leading(items: list) -> frozenset[str] | None:
    from re import _constants as c

    literal = []
    for op, av in items:
        if op is c.LITERAL:
            literal.append(chr(av).lower())
            continue
        if literal:
            return frozenset({"".join(literal)})
        if op is c.SUBPATTERN:
            return _leading(av[-1])
        if op is c.BRANCH:
            branches = [_leading(b) for b in av[1]]
            return frozenset().union(*branches) if all(branches) else None
        return None
    return frozenset({"".join(literal)}) if literal else None


def _trie_pattern(words: list[str]) -> str:
    """A regex matching the longest of ``words`` that starts here (greedy optional tails)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        tails = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not tails:
            return ""
        body = tails[0] if len(tails) == 1 else "(?:" + "|".join(tails) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_REASONS_CACHE_ENTRIES = 20_000


class PhraseMatcher:
    """The first (reason, pattern) of ``widgets`` whose pattern searches true in a line: the same answer
    as trying them in order, found by searching only the patterns whose literals the line contains."""

    def __init__(self, widgets: tuple[tuple[str, re.Pattern[str]], ...]) -> None:
        self.widgets = widgets
        always: list[int] = []
        by_prefix: dict[str, set[int]] = {}
        by_word: dict[str, set[int]] = {}
        by_anywhere: dict[str, set[int]] = {}
        for index, (_, pattern) in enumerate(widgets):
            parsed = list(re._parser.parse(pattern.pattern, pattern.flags))
            prefix = _prefix(parsed) if pattern.flags & re.IGNORECASE else None
            if prefix:
                for literal in prefix:
                    by_prefix.setdefault(literal, set()).add(index)
                continue
            needed = _requirement(parsed, False) if pattern.flags & re.IGNORECASE else None
            if not needed:
                always.append(index)
                continue
            for literal, word_start in needed:
                (by_word if word_start else by_anywhere).setdefault(literal, set()).add(index)
        self._always = frozenset(always)
        self._reasons: dict[str, str | None] = {}
        # Every literal found also brings the patterns of the literals it starts with (the trie finds the
        # longest one at each position).
        self._prefix_re = re.compile(_trie_pattern(sorted(by_prefix))) if by_prefix else None
        self._prefix_hits = self._closure(by_prefix)
        self._word_re = re.compile(r"\b(?=(" + _trie_pattern(sorted(by_word)) + "))") if by_word else None
        self._word_hits = self._closure(by_word)
        # The few literals that may start inside a word are looked for as plain substrings.
        self._anywhere = tuple(sorted(by_anywhere.items()))

    @staticmethod
    def _closure(by_literal: dict[str, set[int]]) -> dict[str, frozenset[int]]:
        return {literal: frozenset().union(*(ix for other, ix in by_literal.items() if literal.startswith(other)))
                for literal in by_literal}

    def reason(self, text: str) -> str | None:
        # Widget lines recur across a site's pages: answers are remembered, up to a bound.
        if text in self._reasons:
            return self._reasons[text]
        found = None
        for index in self.candidates(text):
            reason, pattern = self.widgets[index]
            if pattern.search(text):
                found = reason
                break
        if len(self._reasons) >= _REASONS_CACHE_ENTRIES:
            self._reasons.clear()
        self._reasons[text] = found
        return found

    def candidates(self, text: str) -> list[int]:
        """Indices (into ``widgets``, ascending) of the patterns that may match ``text``: every pattern that
        does is among them."""
        low = fold_case(text)
        candidates = set(self._always)
        if self._prefix_re is not None:
            hit = self._prefix_re.match(low)
            if hit and hit.group():
                candidates.update(self._prefix_hits[hit.group()])
        if self._word_re is not None:
            for literal in self._word_re.findall(low):
                if literal:
                    candidates.update(self._word_hits[literal])
        for literal, indices in self._anywhere:
            if literal in low:
                candidates.update(indices)
        return sorted(candidates)


@functools.lru_cache(maxsize=None)
def phrase_matcher(languages: tuple[str, ...]) -> PhraseMatcher:
    """The matcher of the widget patterns of ``languages``, in that order (built once per process)."""
    return PhraseMatcher(tuple(entry for lang in languages for entry in PHRASES[lang].widgets))
