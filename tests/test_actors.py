"""Actors as ids (kb/obligations/actors.py): every co-actor of a joint task, every case form of
every gazetteer agency, generic roles (kb/data/actor_roles.yaml) and roles an act defines."""

from __future__ import annotations

from pathlib import Path

import pymorphy3
import pytest
import yaml

from kb.entities import extract as tag_text
from kb.entities import gazetteer
from kb.obligations import extract, filter_obligations
from kb.obligations.actors import ROLES_FILE, actor_ids, role_ids, roles_in
from kb.obligations.adapters import parse_file, tag

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "corpora" / "seeds" / "ru" / "2022-tailings-working-group-plan.txt"


def _doc(tmp_path: Path, text: str, lang: str):
    folder = tmp_path / lang
    folder.mkdir(exist_ok=True)
    p = folder / "act.txt"
    p.write_text(text, encoding="utf-8")
    return tag(parse_file(p))


def test_joint_task_is_filed_under_every_body():
    items = extract(tag(parse_file(PLAN)))
    assert len(items) == 7
    for o in items:
        assert o.actor.ids[:2] == ["min-emergency", "min-ecology"] and o.actor.id == "min-emergency"
    # the Ministry of Ecology's filter finds all seven working-group tasks, not none
    assert len(filter_obligations(items, actor="min-ecology")) == 7
    assert len(filter_obligations(items, actor="min-emergency")) == 7


# -- every case form of every agency -----------------------------------------------------------
_morph = pymorphy3.MorphAnalyzer()


def _ru_case(name: str, case: str) -> str:
    """A Russian name with its head noun and the adjectives before it put into `case`
    ("Министерство экологии" -> "Министерству экологии")."""
    out, done = [], False
    for w in name.split():
        core = w.strip("«»\"(),")
        parses = [p for p in _morph.parse(core) if "nomn" in p.tag and {"NOUN", "ADJF", "PRTF"} & set(p.tag.grammemes)]
        if done or not core.isalpha() or not parses:
            done = done or bool(out)
            out.append(w)
            continue
        form = parses[0].inflect({case})
        word = form.word if form else core
        out.append(w.replace(core, word[:1].upper() + word[1:] if core[:1].isupper() else word))
        done = "NOUN" in parses[0].tag
    return " ".join(out)


_VOICELESS = "кпстфхцчшщқ"
# Kazakh case endings after a possessive (-сы/-сі/-ы/-і), a voiceless consonant, or any other end:
# (back vowel form, front vowel form)
_KK_CASES = {
    "dat": {"poss": ("на", "не"), "voiceless": ("қа", "ке"), "other": ("ға", "ге")},
    "gen": {"poss": ("ның", "нің"), "voiceless": ("тың", "тің"), "other": ("дың", "дің")},
    "abl": {"poss": ("нан", "нен"), "voiceless": ("тан", "тен"), "other": ("дан", "ден")},
    "loc": {"poss": ("нда", "нде"), "voiceless": ("та", "те"), "other": ("да", "де")},
}


def _kk_case(name: str, case: str) -> str:
    words = name.split()
    last = words[-1]
    vowels = [c for c in last.lower() if c in "аоұыәеөүіэи"]
    back = bool(vowels) and vowels[-1] in "аоұы"
    kind = ("poss" if last.endswith(("сы", "сі", "ы", "і")) else
            "voiceless" if last[-1].lower() in _VOICELESS else "other")
    return " ".join(words[:-1] + [last + _KK_CASES[case][kind][0 if back else 1]])


def _cases():
    out = []
    for e in gazetteer().agencies:
        for name in e.names.ru:
            for case in ("datv", "gent", "ablt"):
                out.append((e.id, "ru", _ru_case(name, case)))
        for name in e.names.kk:
            if "(" not in name:  # a parenthesis ends a name for the matcher
                out += [(e.id, "kk", _kk_case(name, case)) for case in _KK_CASES]
    return out


def test_every_agency_links_in_its_case_forms():
    missed = [(i, lang, text) for i, lang, text in _cases()
              if i not in [x.id for x in tag_text(text, lang) if x.type == "agency"]]
    assert not missed, missed[:20]


@pytest.mark.parametrize("text, lang, agency", [
    ("Министерству экологии", "ru", "min-ecology"),
    ("Министерством экологии", "ru", "min-ecology"),
    ("маслихату города Алматы", "ru", "maslikhat-almaty"),
    ("Экология министрлігіне", "kk", "min-ecology"),
])
def test_short_and_loanword_forms_link(text, lang, agency):
    assert agency in [x.id for x in tag_text(text, lang) if x.type == "agency"]


# -- roles -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, lang, role", [
    ("Уполномоченный орган", "ru", "role:authorized-body"),
    ("уполномоченному органу", "ru", "role:authorized-body"),
    ("Уәкілетті орган", "kk", "role:authorized-body"),
    ("уәкілетті органға", "kk", "role:authorized-body"),
    ("Операторы", "ru", "role:operator"),
    ("оператор объекта", "ru", "role:operator"),
    ("Недропользователь", "ru", "role:subsoil-user"),
    ("недропользователи", "ru", "role:subsoil-user"),
    ("Жер қойнауын пайдаланушылар", "kk", "role:subsoil-user"),
    ("местные исполнительные органы", "ru", "role:local-executive"),
    ("Местным исполнительным органам", "ru", "role:local-executive"),
    ("жергілікті атқарушы органдар", "kk", "role:local-executive"),
    ("Природопользователь", "ru", "role:nature-user"),
    ("табиғат пайдаланушы", "kk", "role:nature-user"),
])
def test_generic_actors_get_role_ids(text, lang, role):
    assert role in roles_in(text, lang)


def test_every_role_has_kazakh_and_russian_names():
    raw = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))
    for e in raw["entries"]:
        assert e["names"]["kk"] and e["names"]["ru"], e["id"]
    assert {"role:authorized-body", "role:operator", "role:subsoil-user", "role:local-executive"} <= set(role_ids())


def test_functional_name_links_to_the_body_it_designates(tmp_path):
    doc = _doc(tmp_path, "Правила\n\n1. Уполномоченный орган в области охраны окружающей среды обязан "
                         "рассмотреть заявление.\n", "ru")
    (o,) = extract(doc)
    assert o.actor.ids[:2] == ["auth-environment", "min-ecology"]
    assert "role:authorized-body" in o.actor.roles
    assert len(filter_obligations([o], actor="min-ecology")) == 1
    assert len(filter_obligations([o], actor="role:authorized-body")) == 1


def test_role_defined_by_the_act_resolves_ru(tmp_path):
    doc = _doc(tmp_path, (
        "Правила\n\n"
        "1. В настоящих Правилах используются следующие понятия:\n"
        "1) уполномоченный орган – Министерство по чрезвычайным ситуациям Республики Казахстан;\n"
        "2) оператор – физическое или юридическое лицо.\n\n"
        "2. Уполномоченный орган обязан ежегодно до 1 марта направить отчет.\n\n"
        "3. Оператор обязан представить сведения уполномоченному органу.\n"), "ru")
    items = {o.actor.text: o for o in extract(doc)}
    assert items["Уполномоченный орган"].actor.ids == ["min-emergency"]
    assert items["Уполномоченный орган"].actor.roles == ["role:authorized-body"]
    assert items["Оператор"].actor.ids == [] and items["Оператор"].actor.roles == ["role:operator"]
    assert actor_ids(items["Уполномоченный орган"].actor) == ["min-emergency", "role:authorized-body"]


def test_role_named_short_by_the_act_resolves_kk(tmp_path):
    doc = _doc(tmp_path, (
        "Қағидалар\n\n"
        "1. Экология және табиғи ресурстар министрлігі (бұдан әрі – уәкілетті орган) есептерді жинайды.\n\n"
        "2. Уәкілетті орган жыл сайын 1 наурызға дейін жиынтық есепті Үкіметке жіберуге міндетті.\n"), "kk")
    (o,) = [o for o in extract(doc) if o.actor and o.actor.text == "Уәкілетті орган"]
    assert o.actor.ids == ["min-ecology"] and o.actor.roles == ["role:authorized-body"]


def test_without_a_definition_a_role_stays_a_role(tmp_path):
    doc = _doc(tmp_path, "Правила\n\n1. Уполномоченный орган обязан рассмотреть заявление.\n", "ru")
    (o,) = extract(doc)
    assert o.actor.ids == [] and o.actor.id is None and o.actor.roles == ["role:authorized-body"]


# -- roles of Government Rules and what an act says its authorised body is (issue 12, dev split) --
@pytest.mark.parametrize("text, lang, role", [
    ("Эксплуатирующая организация", "ru", "role:operating-organization"),
    ("Пайдаланушы ұйым", "kk", "role:operating-organization"),
    ("подведомственной организацией", "ru", "role:subordinate-organization"),
    ("Ведомстволық бағынысты ұйым", "kk", "role:subordinate-organization"),
    ("Соответствующий центральный государственный орган", "ru", "role:relevant-central-state-body"),
    ("тиісті орталық мемлекеттік орган", "kk", "role:relevant-central-state-body"),
    ("Государственный орган-разработчик", "ru", "role:developer-state-body"),
    ("Әзірлеуші мемлекеттік орган", "kk", "role:developer-state-body"),
    ("аккредиттелген ұйымдар", "kk", "role:accredited-organization"),
    ("Руководители аккредитованных организаций", "ru", "role:accredited-organization-heads"),
    ("Межведомственная комиссия", "ru", "role:interagency-commission"),
    ("компетентный орган", "ru", "role:competent-body"),
    ("уәкілетті ұйым", "kk", "role:authorized-organization"),
    ("центральный уполномоченный орган", "ru", "role:authorized-body"),
])
def test_roles_of_rules_get_their_own_ids(text, lang, role):
    assert roles_in(text, lang) == [role]


def test_a_functional_name_of_the_authorised_body_links_to_its_ministry(tmp_path):
    doc = _doc(tmp_path, "Правила\n\n1. Уполномоченный орган в сфере государственных закупок обязан "
                         "разместить перечень.\n", "ru")
    (o,) = extract(doc)
    assert o.actor.ids == ["min-finance"] and o.actor.roles == ["role:authorized-body"]


@pytest.mark.parametrize("lang, text, actor", [
    ("ru", "Правила взаимодействия\n\n"
           "1. В настоящих Правилах используются следующие понятия:\n"
           "6) уполномоченный орган в области регулирования торговой деятельности (далее – уполномоченный орган) – "
           "центральный исполнительный орган, формирующий торговую политику.\n\n"
           "2. Уполномоченный орган обязан ежегодно направлять отчет в Правительство.\n", "Уполномоченный орган"),
    # the Kazakh text of act 134531 writes a Latin i in "әрi" and "уәкiлеттi"
    ("kk", "Өзара іс-қимыл қағидалары\n\n"
           "1. Осы Қағидаларда мынадай ұғымдар пайдаланылады:\n"
           "6) сауда қызметiн реттеу саласындағы уәкiлеттi орган (бұдан әрi – уәкiлеттi орган) – сауда саясатын "
           "қалыптастыратын орталық атқарушы орган.\n\n"
           "2. Уәкілетті орган жыл сайын Үкіметке есеп жіберуге міндетті.\n", "Уәкілетті орган"),
])
def test_the_act_says_which_body_its_authorised_body_is(tmp_path, lang, text, actor):
    (o,) = [o for o in extract(_doc(tmp_path, text, lang)) if o.actor and o.actor.text == actor]
    assert o.actor.ids == ["min-trade"] and o.actor.roles == ["role:authorized-body"]


def test_a_body_that_qualifies_another_role_does_not_define_it(tmp_path):
    doc = _doc(tmp_path, (
        "Правила\n\n"
        "1. Ведение фонда осуществляется подведомственной организацией уполномоченного органа в области охраны "
        "окружающей среды (далее – подведомственная организация).\n\n"
        "2. Подведомственная организация обязана ежегодно направлять запросы.\n"), "ru")
    (o,) = [o for o in extract(doc) if o.actor and o.actor.text == "Подведомственная организация"]
    assert o.actor.ids == [] and o.actor.roles == ["role:subordinate-organization"]


def test_a_functional_name_longer_than_the_actor_span_still_links(tmp_path):
    doc = _doc(tmp_path, "Қағидалар\n\n1. Сыртқы саяси қызмет саласындағы уәкілетті орган шет мемлекетке "
                         "хабарлама жіберуге міндетті.\n", "kk")
    (o,) = extract(doc)
    assert "min-foreign" in o.actor.ids and "role:authorized-body" in o.actor.roles


# -- session 3 (helper O3): the whole noun phrase around a short actor span --------------------
def test_latin_look_alikes_do_not_hide_the_actor(tmp_path):
    # "кipicтep" is typed with Latin i, p, c, e (as in the mirror's act 120927): the rules read the
    # Cyrillic word, the role links, and the quote and actor stay as written
    doc = _doc(tmp_path, "Қағидалар\n\n1. Мемлекеттік кipicтep органдары бақылау актісін жасайды.\n\n"
                         "2. Мемлекеттік кipicтep органының лауазымды адамы хаттаманы жасайды.\n", "kk")
    first, second = extract(doc)
    assert first.actor.roles == ["role:state-revenue-bodies"] == second.actor.roles
    assert "кipicтep" in first.quote.text and first.actor.text == "Мемлекеттік кipicтep органдары"
    assert second.actor.text == "Мемлекеттік кipicтep органының лауазымды адамы"


def test_a_role_name_longer_than_the_actor_span_links_ru(tmp_path):
    doc = _doc(tmp_path, "Правила\n\n1. Органы государственных доходов осуществляют контроль за хранением "
                         "имущества.\n", "ru")
    (o,) = extract(doc)
    assert o.actor.roles == ["role:state-revenue-bodies"]


@pytest.mark.parametrize("lang, text", [
    ("ru", "Правила\n\n1. Государственные, правоохранительные и специальные государственные органы "
           "направляют предложения в уполномоченный орган.\n"),
    ("kk", "Қағидалар\n\n1. Мемлекеттік, құқық қорғау және арнаулы мемлекеттік органдар уәкілетті органға "
           "ұсыныстар жібереді.\n"),
])
def test_coordinated_modifiers_share_the_head_noun(tmp_path, lang, text):
    (o,) = [o for o in extract(_doc(tmp_path, text, lang)) if o.actor]
    assert set(o.actor.roles) == {"role:state-bodies", "role:law-enforcement-bodies", "role:special-state-bodies"}


def test_a_body_that_only_qualifies_a_role_is_not_the_actor(tmp_path):
    # "Үкіметінің Аппараты" is the Government Office, not the Government
    doc = _doc(tmp_path, "Қағидалар\n\n1. Қазақстан Республикасы Үкіметінің Аппараты құжаттарды уәкілетті органға "
                         "бес жұмыс күні ішінде жібереді.\n", "kk")
    (o,) = extract(doc)
    assert o.actor.ids == [] and o.actor.roles == ["role:government-office"]


def test_a_body_in_the_genitive_does_not_define_a_role(tmp_path):
    doc = _doc(tmp_path, (
        "Қағидалар\n\n"
        "1. Осы Қағидаларда мынадай ұғымдар пайдаланылады:\n"
        "1) уәкілетті ұйым – Қазақстан Республикасы орталық мемлекеттік органының қарамағындағы ұйым;\n\n"
        "2. Уәкілетті ұйым есепті уәкілетті органға бес жұмыс күні ішінде жібереді.\n"), "kk")
    (o,) = [o for o in extract(doc) if o.actor and o.actor.text == "Уәкілетті ұйым"]
    assert o.actor.ids == [] and o.actor.roles == ["role:authorized-organization"]


def test_a_short_name_the_act_gives_a_body_links_its_mentions(tmp_path):
    doc = _doc(tmp_path, (
        "Правила\n\n"
        "1. Органы государственных доходов осуществляют контроль в территориальных органах уполномоченного "
        "органа по управлению государственным имуществом (далее – органы по управлению государственным "
        "имуществом).\n\n"
        "2. Органы по управлению государственным имуществом представляют акты описи имущества.\n"), "ru")
    (o,) = [o for o in extract(doc) if o.actor and o.actor.text.startswith("Органы по управлению")]
    assert o.actor.ids == ["cttee-state-property"] and o.actor.roles == []


def test_central_executive_bodies_are_not_the_trade_authority(tmp_path):
    # the trade authority's statutory definition ("центральный исполнительный орган, формирующий
    # торговую политику") is one name: its first words alone name no ministry
    doc = _doc(tmp_path, "Правила\n\n1. Центральные исполнительные органы представляют отчетность в уполномоченный "
                         "орган.\n", "ru")
    (o,) = extract(doc)
    assert "min-trade" not in o.actor.ids and "central-executive" in o.actor.ids


@pytest.mark.parametrize("lang, text, roles", [
    ("ru", "Правила\n\n1. Подведомственная организация уполномоченного органа в области охраны окружающей среды "
           "ведет фонд.\n", ["role:subordinate-organization"]),
    ("kk", "Қағидалар\n\n1. Уәкілетті органның лауазымды тұлғалары жерлерді пломбалайды.\n",
     ["role:authorized-body-officials"]),
])
def test_a_body_named_in_the_genitive_of_the_actor_is_not_bound(tmp_path, lang, text, roles):
    (o,) = extract(_doc(tmp_path, text, lang))
    assert o.actor.roles == roles and o.actor.ids == []


# -- session 5 (helper O4): generic actors of Rules and orders in other fields ------------------
@pytest.mark.parametrize("text, lang, role", [
    ("Услугодатель", "ru", "role:service-provider"),
    ("көрсетілетін қызметті берушіге", "kk", "role:service-provider"),
    ("Комиссией", "ru", "role:commission"),
    ("комиссияға", "kk", "role:commission"),
    ("Конкурсная комиссия", "ru", "role:competition-commission"),
    ("конкурстық комиссияның", "kk", "role:competition-commission"),
    ("лицензиатом", "ru", "role:licensee"),
    ("Лицензиатқа", "kk", "role:licensee"),
    ("Заказчику", "ru", "role:customer"),
    ("тапсырыс берушіге", "kk", "role:customer"),
    ("потенциальному поставщику", "ru", "role:potential-supplier"),
    ("өнім берушімен", "kk", "role:supplier"),
    ("организатором конкурса", "ru", "role:organizer"),
    ("ұйымдастырушыға", "kk", "role:organizer"),
    ("держателем базы данных", "ru", "role:holder"),
    ("получателем субсидий", "ru", "role:recipient"),
    ("бюджеттік бағдарламаның әкімшісі", "kk", "role:budget-program-administrator"),
    ("субъектом естественной монополии", "ru", "role:natural-monopoly"),
    ("органами внутренних дел", "ru", "role:internal-affairs-bodies"),
    ("ішкі істер органдарына", "kk", "role:internal-affairs-bodies"),
    ("медицинской организацией", "ru", "role:healthcare-organizations"),
    ("білім беру ұйымдарына", "kk", "role:education-organizations"),
    ("акиму", "ru", "role:akim"),
    ("әкімге", "kk", "role:akim"),
    ("әкімдікке", "kk", "role:local-executive"),
    # the chair, secretary and members of a kind of commission are the commission's persons
    ("Председатель аттестационной комиссии", "ru", "role:commission-chair"),
    ("конкурстық комиссияның хатшысына", "kk", "role:commission-secretary"),
])
def test_generic_actors_of_other_fields_get_role_ids(text, lang, role):
    assert roles_in(text, lang) == [role]


@pytest.mark.parametrize("lang, text, roles", [
    # a person of a body is filed under the body ...
    ("ru", "Правила\n\n1. Руководитель органа государственных доходов направляет акт в уполномоченный орган.\n",
     ["role:state-revenue-bodies"]),
    ("kk", "Қағидалар\n\n1. Мемлекеттік кірістер органының басшысы актіні уәкілетті органға жібереді.\n",
     ["role:state-revenue-bodies"]),
    # ... and a person with no body next to it is the kind of person
    ("ru", "Правила\n\n1. Ответственное лицо направляет акт в уполномоченный орган.\n", ["role:responsible-person"]),
    ("kk", "Қағидалар\n\n1. Жауапты тұлға актіні уәкілетті органға жібереді.\n", ["role:responsible-person"]),
])
def test_a_person_of_a_body_is_filed_under_the_body(tmp_path, lang, text, roles):
    (o,) = extract(_doc(tmp_path, text, lang))
    assert o.actor.roles == roles


@pytest.mark.parametrize("lang, text, agency", [
    ("ru", "Правила\n\n1. Уполномоченный орган в области образования обязан разместить перечень.\n", "min-education"),
    ("kk", "Қағидалар\n\n1. Халықты әлеуметтік қорғау саласындағы уәкілетті орган тізбені орналастыруға міндетті.\n",
     "min-labour"),
])
def test_functional_names_of_other_fields_link_to_their_ministry(tmp_path, lang, text, agency):
    (o,) = extract(_doc(tmp_path, text, lang))
    assert o.actor.ids == [agency] and o.actor.roles == ["role:authorized-body"]


@pytest.mark.parametrize("lang, text", [
    ("ru", "Правила\n\n1. Государственная корпорация направляет документы услугодателю.\n"),
    ("kk", "Қағидалар\n\n1. Мемлекеттік корпорация құжаттарды көрсетілетін қызметті берушіге жібереді.\n"),
])
def test_the_state_corporation_is_government_for_citizens(tmp_path, lang, text):
    (o,) = extract(_doc(tmp_path, text, lang))
    assert o.actor.ids == ["gov-for-citizens"]


def test_an_unknown_person_role_is_a_clear_error(tmp_path, monkeypatch):
    from kb.obligations import actors

    bad = tmp_path / "roles.yaml"
    bad.write_text("entries:\n  - id: head\n    names: {en: [head], ru: [руководитель], kk: [басшы]}\n"
                   "person_roles: [nobody]\n", encoding="utf-8")
    monkeypatch.setattr(actors, "ROLES_FILE", bad)
    actors._raw.cache_clear()
    actors._person_roles.cache_clear()
    try:
        with pytest.raises(actors.RolesError, match="person_roles.*nobody"):
            actors._person_roles()
    finally:
        monkeypatch.undo()
        actors._raw.cache_clear()
        actors._person_roles.cache_clear()


def test_genitive_complements_coordinated_after_a_role_share_its_head_ru(tmp_path):
    doc = _doc(tmp_path, "Правила\n\n10. Прием лиц осуществляется органами внутренних дел, здравоохранения и "
                         "национальной безопасности через фильтрационные пункты.\n\n11. Руководители аккредитованных "
                         "организаций, экспертов и инспекторов утверждают план.\n", "ru")
    first, second = extract(doc)
    assert set(first.actor.roles) == {"role:internal-affairs-bodies", "role:national-security-bodies"}
    assert second.actor.roles == ["role:accredited-organization-heads"]  # "Руководители экспертов" names no role
