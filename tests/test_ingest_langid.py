from kb.langid import combine, detect, detect_or_none


def test_kazakh_letters_decide():
    assert detect("Қоршаған ортаны қорғау саласындағы уәкілетті орган") == "kk"


def test_short_kazakh_without_kazakh_letters():
    assert detect("Осы шешім") == "kk"
    assert detect("Министрлік") == "kk"


def test_russian_with_a_quoted_kazakh_name_is_russian():
    assert detect("В рамках государственной стратегии «Таза Қазақстан» реализуются меры.") == "ru"
    assert detect("Заместителю акима города Нур-Султан Қайсағалиеву А.К. принять меры по очистке снега.") == "ru"


def test_mixed_text():
    text = ("Министерство экологии провело совещание по вопросам отходов. "
            "Кеңес жұмысына министрліктер мен ведомстволардың өкілдері қатысты.")
    assert detect(text) == "mixed"


def test_no_evidence():
    assert detect_or_none("12 345,6") is None
    assert detect("— 12 —", default="kk") == "kk"


def test_combine():
    assert combine({"kk": 900, "ru": 100}) == "kk"
    assert combine({"kk": 500, "ru": 500}) == "mixed"
    assert combine({}) == "ru"
