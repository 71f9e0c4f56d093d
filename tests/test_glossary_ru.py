"""The Russian glossary (docs/glossary-ru.md) holds: no term it forbids is in the catalogue's
translations or in the templates."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "avsoft_support" / "locale" / "ru" / "LC_MESSAGES" / "django.po"
TEMPLATE_DIRS = [ROOT / "avsoft_support" / "templates", ROOT / "demo" / "demo_site" / "templates"]

# (forbidden pattern, the glossary's term to use instead)
FORBIDDEN = [
    (r"имя пользователя|имени пользователя", "логин"),
    (r"личн\w* кабинет", "персональный раздел"),
    (r"участник", "пользователь"),
    (r"действующ\w* клиент", "текущий клиент"),
    (r"\bзаявк", "обращение"),
    (r"\bзапрос(?:а|у|ом|е|ы|ов|ам|ами|ах)?\b", "обращение"),
    (r"сч[её]та/заказа|счетов/заказов", "номер счёта или заказа"),
    (r"сопоставлен\b", "подтверждение по номеру счёта (no agreement with a name)"),
    (r"заявленн\w* клиент", "неподтверждённый клиент"),
    (r"клиент \(не подтвержд", "неподтверждённый клиент"),
    (r"учётн\w* запис\w* клиент", "компания-клиент"),
    (r"\bприлож(?:ить|ите|ено|ены|ен|ён|енн\w*)\b", "прикрепить"),
    (r"вложени", "прикреплённый файл"),
    (r"\(а\)", "no gendered «(а)» forms"),
    (r"отправить как\b", "ответ клиенту / внутренняя заметка"),
    (r"оставить как есть", "не менять"),
    (r"для вашей безопасности", "plain request"),
    (r"надеемся, что вы", "plain statement"),
    (r"или кто-то", "plain statement"),
    (r"заработает", "станет активной"),
    (r"отвечайте[^.]*ответом", "отвечайте на странице обращения"),
    (r"узна\w* (?:в )?вас как клиент", "подтвердить, что вы наш клиент"),
    (r"просрочено на", "просрочка: N"),
    (r"через %\(time\)s", "до срока: N"),
    (r"не назначено", "без ответственного"),
    (r"\be-?mail\b", "адрес электронной почты"),
    (r"емейл|имейл", "адрес электронной почты"),
]
# Template sources are English (the msgids); only their Cyrillic words are checked.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
CYRILLIC_ONLY = re.compile(r"[а-яё]", re.IGNORECASE)


def _unquote(line):
    return line[line.index('"') + 1 : line.rindex('"')].replace('\\"', '"').replace("\\n", "\n")


def catalogue_msgstrs():
    """Every translation of the catalogue, its continuation lines joined."""
    entries, current, in_msgstr = [], None, False
    for line in PO.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            if current is not None:
                entries.append(current)
            current, in_msgstr = _unquote(line), True
        elif line.startswith('"') and in_msgstr:
            current += _unquote(line)
        else:
            in_msgstr = False
    if current is not None:
        entries.append(current)
    # Placeholders (%(email)s, {count}) are code, not words.
    return [
        PLACEHOLDER.sub("", entry) for entry in entries if entry and "Plural-Forms" not in entry
    ]


def template_files():
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*") if p.suffix in {".html", ".txt"})


def test_the_glossary_exists_and_names_the_regulations_terms():
    glossary = (ROOT / "docs" / "glossary-ru.md").read_text(encoding="utf-8")
    for term in ("логин", "персональный раздел", "обращение", "текущий клиент"):
        assert term in glossary
    assert "потенциальный клиент" in glossary


def test_the_parser_sees_the_whole_catalogue():
    msgstrs = catalogue_msgstrs()
    assert len(msgstrs) > 500
    assert "Обращения" in msgstrs


@pytest.mark.parametrize(("pattern", "instead"), FORBIDDEN, ids=[p for p, _ in FORBIDDEN])
def test_no_forbidden_term_in_the_catalogue(pattern, instead):
    found = [s for s in catalogue_msgstrs() if re.search(pattern, s, re.IGNORECASE)]
    assert not found, f"use {instead!r} instead: {found}"


@pytest.mark.parametrize(("pattern", "instead"), FORBIDDEN, ids=[p for p, _ in FORBIDDEN])
def test_no_forbidden_term_in_the_templates(pattern, instead):
    if not CYRILLIC_ONLY.search(pattern):
        pytest.skip("an English pattern: template sources are the English msgids")
    found = [
        str(path.relative_to(ROOT))
        for path in template_files()
        if re.search(pattern, path.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert not found, f"use {instead!r} instead: {found}"


def test_the_forbidden_term_check_catches_a_bad_translation():
    bad = "Неверное имя пользователя или пароль."
    assert any(re.search(p, bad, re.IGNORECASE) for p, _ in FORBIDDEN)
    good = "Неверный логин или пароль. Приложение-аутентификатор настроено."
    assert not any(re.search(p, good, re.IGNORECASE) for p, _ in FORBIDDEN)


def test_the_demo_regulations_follow_the_seed():
    demo = (ROOT / "demo" / "home" / "management" / "commands" / "support_demo.py").read_text(
        encoding="utf-8"
    )
    assert "Поэтому очень важно при первом запросе указать номер счёта или заказа." in demo
    assert "В полях формы укажите" in demo
    # Russian letters for the list, which the rich-text editor keeps (it drops <ol type="a">).
    assert 'type="a"' not in demo
    for letter in "абвг":
        assert f"{letter}) " in demo
    assert "AVSoft demo" not in demo
