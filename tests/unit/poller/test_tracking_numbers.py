import pytest

from services.poller.carriers.registry import tracking_numbers
from services.poller.tracking_numbers import Match
from shared.contracts.events import InvalidNumberReason

detect, validate = tracking_numbers().detect, tracking_numbers().validate

# Test numbers of jkeen/tracking_number_data @ b79ce4bf (valid / invalid per format).
VALID = [
    ("ups", "ups", "1Z5R89390357567127"),
    ("ups", "ups", "1Z879E930346834440"),
    ("ups", "ups", "1Z410E7W0392751591"),
    ("ups", "ups", "1Z8V92A70367203024"),
    ("ups", "ups", " 1 Z 8 V 9 2 A 7 0 3 6 7 2 0 3 0 2 4 "),
    ("ups", "ups", "1ZXX3150YW44070023"),
    ("ups", "ups_waybill", "K1506235620"),
    ("ups", "ups_waybill", "K 150 623 562 0"),
    ("ups", "ups_waybill", "K2479825491"),
    ("ups", "ups_waybill", "J4603636537"),
    ("ups", "ups_waybill", "V0490119172"),
    ("ups", "ups_waybill", "V0431105627"),
    ("fedex", "fedex_12", "986578788855"),
    ("fedex", "fedex_12", "477179081230"),
    ("fedex", "fedex_12", "799531274483"),
    ("fedex", "fedex_12", "790535312317"),
    ("fedex", "fedex_12", " 7 9 0 5 3 5 3 1 2 3 1 7 "),
    ("fedex", "fedex_12", "974367662710"),
    ("fedex", "fedex_34", "1001921334250001000300779017972697"),
    ("fedex", "fedex_34", "1001921380360001000300639585804382"),
    ("fedex", "fedex_34", "1001901781990001000300617767839437"),
    ("fedex", "fedex_34", " 1 0 0 1 9 0 1 7 8 1 9 9 0 0 0 1 0 0 0 3 0 0 6 1 7 7 6 7 8 3 9 4 3 7 "),
    ("fedex", "fedex_34", "1002297871540001000300790695517286"),
    ("fedex", "fedex_34", "1027590111820004833500785458233610"),
    ("fedex", "fedex_34", "1195266473930007521100871079919940"),
    ("fedex", "fedex_34", "1 1 9 52 6 64739 3000 75211 00 8710 799 199 40"),
    ("fedex", "fedex_34", "1195271874060007521100871140316925"),
    ("fedex", "fedex_34", "1195583874210007521100871140316936"),
    ("fedex", "fedex_astra_32", "32971514560102447849175802862014"),
    ("fedex", "fedex_astra_32", "32971510360102447848540980802018"),
    ("fedex", "fedex_astra_32", "32971508360102447847941133172013"),
    ("fedex", "fedex_astra_32", "33810799560000004380417923803212"),
    ("fedex", "fedex_astra_32", "3 29715 145 6010244 784917580286 2014"),
    ("fedex", "fedex_ground", "0414 4176 0228 964"),
    ("fedex", "fedex_ground", "5682 8361 0012 000"),
    ("fedex", "fedex_ground", " 5 6 8 2   8 3 6 1   0 0 1 2   0 0 0 "),
    ("fedex", "fedex_ground", "5682 8361 0012 734"),
    ("fedex", "fedex_ground_sscc_18", "00 0123 4500 0000 0027"),
    ("fedex", "fedex_ground_sscc_18", " 0 0   0 1 2 3   4 5 0 0   0 0 0 0   0 0 2 7 "),
    ("fedex", "fedex_ground_96", "9611020987654312345672"),
    ("fedex", "fedex_ground_96", " 9 6 1 1 0 2 0 9 8 7 6 5 4 3 1 2 3 4 5 6 7 2 "),
    ("fedex", "fedex_ground_gsn", "9622001900000000000000776632517510"),
    ("fedex", "fedex_ground_gsn", "9622001560000000000000794808390594"),
    ("fedex", "fedex_ground_gsn", "9622001560001234567100794808390594"),
    (
        "fedex",
        "fedex_ground_gsn",
        " 9 6 2 2 0 0 1 5 6 0 0 0 1 2 3 4 5 6 7 1 0 0 7 9 4 8 0 8 3 9 0 5 9 4 ",
    ),
    ("fedex", "fedex_ground_gsn", "9632001560123456789900794808390594"),
    ("usps", "usps_20", "0307 1790 0005 2348 3741"),
    ("usps", "usps_20", " 0 3 0 7   1 7 9 0   0 0 0 5   2 3 4 8   3 7 4 1 "),
    ("usps", "usps_20", "7112 3456 7891 2345 6787"),
    ("usps", "usps_impb_n", "420787459400111206206406260787"),
    ("usps", "usps_impb_n", "9400111206206406260787"),
    ("usps", "usps_impb_n", "9400 1112 0108 0805 4830 16"),
    ("usps", "usps_impb_n", "9405803699300124287899"),
    ("usps", "usps_impb_n", "9434611206206406227577"),
    ("usps", "usps_impb_n", "9434611206206407667136"),
    ("usps", "usps_impb_n", "9400111206206407628746"),
    ("usps", "usps_impb_n", "9400111206206407628845"),
    ("usps", "usps_legacy", "420 22153 9101026837331000039521"),
    ("usps", "usps_legacy", "9101 1234 5678 9000 0000 13"),
    ("usps", "usps_legacy", "7196 9010 7560 0307 7385"),
    ("usps", "usps_impb_c", "4201002334249200190132607600833457"),
    ("usps", "usps_impb_c", "4201028200009261290113185417468510"),
    (
        "usps",
        "usps_impb_c",
        " 4 2 0 1 0 2 8 2 0 0 0 0 9 2 6 1 2 9 0 1 1 3 1 8 5 4 1 7 4 6 8 5 1 0 ",
    ),
    ("usps", "usps_impb_c", "9505 5110 6960 5048 6006 24"),
    ("usps", "usps_impb_c", "92748931507708513018050063"),
    ("usps", "usps_impb_c", "92001903060085300042901077"),
    ("usps", "usps_impb_c", "9361 2898 7870 0317 6337 95"),
    ("usps", "usps_impb_c", "9261292700768711948021"),
    ("usps", "usps_impb_c", "420 11213 92 6129098349792366623 8"),
    ("usps", "usps_impb_c", "92 6129098349792366623 8"),
    ("usps", "usps_impb_c", "420902459261290336128704042634"),
    ("usps", "usps_impb_c", "420941179261290336128704062441"),
    ("usps", "usps_impb_c", "420926029261290336128704067248"),
    ("usps", "usps_impb_c", "420902729261290336128704124163"),
    ("usps", "usps_impb_c", "420950549261290336128704133837"),
    ("usps", "usps_impb_c", "420193809261290336128704280838"),
    ("usps", "usps_impb_c", "420900469261290336128704216936"),
    ("dhl", "dhl_express", "3318810025"),
    ("dhl", "dhl_express", "73891051146"),
    ("dhl", "dhl_express", "8487135506"),
    ("dhl", "dhl_express", "1099255990"),
    ("dhl", "dhl_express", "3821724944"),
    ("dhl", "dhl_express", "3318810036"),
    ("dhl", "dhl_express", "3318810014"),
    ("dhl", "dhl_express_piece_id", "JJD0099999999"),
    ("dhl", "dhl_express_piece_id", "JVGL0999999990"),
    ("dhl", "dhl_ecommerce", "GM2951173225174494"),
    ("dhl", "dhl_ecommerce", "GM 2 9 5 117 32 25 1 7 44 9 4"),
    ("dhl", "dhl_ecommerce", "GM295117494011169042"),
    ("dhl", "dhl_ecommerce", "GM9E44608A27984866BA2D"),
    ("dhl", "dhl_ecommerce_14", "60120172242323"),
    ("dhl", "dhl_ecommerce_14", "5108 7693037816"),
    ("dhl", "dhl_ecommerce_14", "60120174971147"),
]
INVALID = [
    ("ups", "ups", "2Z5R89390357567127"),
    ("ups", "ups", "1A5R89390357567127"),
    ("ups", "ups", "1Z1111111111111111"),
    ("ups", "ups_waybill", "K1506235622"),
    ("ups", "ups_waybill", "K2479825492"),
    ("ups", "ups_waybill", "J4603636538"),
    ("ups", "ups_waybill", "V0411335627"),
    ("ups", "ups_waybill", "V0423305841"),
    ("fedex", "fedex_12", "996578788855"),
    ("fedex", "fedex_34", "1001901781990001000300617767839438"),
    ("fedex", "fedex_astra_32", "32971514560102447849175802852014"),
    ("fedex", "fedex_astra_32", "3297151456010244784917580286201"),
    ("fedex", "fedex_ground", "5682 8361 0012 732"),
    ("fedex", "fedex_ground_sscc_18", "000000000000000001"),
    ("fedex", "fedex_ground_96", "9600000000000000000001"),
    ("fedex", "fedex_ground_gsn", "9622001560001234567100794808390595"),
    ("fedex", "fedex_ground_gsn", "9622001560001234567100794808390597"),
    ("usps", "usps_20", "0307 1790 0005 2348 3742"),
    ("usps", "usps_impb_n", "9434611206206407667131"),
    ("usps", "usps_impb_n", "9434611306206407667222"),
    ("usps", "usps_impb_n", "2334611306206407667222"),
    ("usps", "usps_legacy", "9101 1234 5678 9000 0000 14"),
    ("usps", "usps_legacy", "7196 9010 7560 0307 7386"),
    ("usps", "usps_impb_c", "61299998820821171811"),
    ("usps", "usps_impb_c", "9200000000000000000000"),
    ("usps", "usps_impb_c", "420000000000000000000000000000"),
    ("usps", "usps_impb_c", "420000009200000000000000000000"),
    ("usps", "usps_impb_c", "4201028200009261290113185417468511"),
    ("dhl", "dhl_express", "3318810010"),
    ("dhl", "dhl_express", "3318810034"),
    ("dhl", "dhl_express", "3318810011"),
    ("dhl", "dhl_express_piece_id", "XJD0099999998"),
    ("dhl", "dhl_ecommerce", "GS295117494011169041"),
    ("dhl", "dhl_ecommerce", "GR295117494011169045"),
    ("dhl", "dhl_ecommerce", "AAAAAAAAAAAAAAAAAA"),
    ("dhl", "dhl_ecommerce", "ABCDEFGHILJKLMNOPQ"),
    ("dhl", "dhl_ecommerce", "ABCDEFGHILJKLMNOPQRSTU1234567890"),
    ("dhl", "dhl_ecommerce_14", "A60120172242323"),
    ("dhl", "dhl_ecommerce_14", "60120172242323B"),
    ("dhl", "dhl_ecommerce_14", "160120172242323"),
    ("dhl", "dhl_ecommerce_14", "6012017224232301"),
    ("dhl", "dhl_ecommerce_14", "601201722X2323"),
    ("dhl", "dhl_ecommerce_14", "GS295117494011169041"),
    ("dhl", "dhl_ecommerce_14", "GR295117494011169045"),
]


@pytest.mark.parametrize(("carrier", "fmt", "number"), VALID)
def test_dataset_valid_numbers_are_valid(carrier: str, fmt: str, number: str) -> None:
    assert Match(carrier, fmt, True) in detect(number)
    assert validate(carrier, number) is None


@pytest.mark.parametrize(("carrier", "fmt", "number"), INVALID)
def test_dataset_invalid_numbers_are_not_valid_in_their_format(
    carrier: str, fmt: str, number: str
) -> None:
    assert Match(carrier, fmt, True) not in detect(number)


@pytest.mark.parametrize(
    ("number", "matches"),
    [
        ("4201028200009261290113185417468510", {("fedex", "fedex_34"), ("usps", "usps_impb_c")}),
        ("00340434292135100124", {("usps", "usps_20")}),  # a DHL eCommerce number
        ("1ZCIETST0111111114", {("ups", "ups")}),
        ("776094337676", {("fedex", "fedex_12")}),
        ("7777777770", {("dhl", "dhl_express")}),
        ("1Z12345E0205271688", set()),  # legacy CIE number failing its check digit
    ],
)
def test_valid_matches_of_real_numbers_span_carriers(
    number: str, matches: set[tuple[str, str]]
) -> None:
    assert {(m.carrier, m.format) for m in detect(number) if m.valid} == matches


def test_spaces_and_lower_case_are_tolerated() -> None:
    assert detect(" 1z5r 8939 0357 5671 27 ") == detect("1Z5R89390357567127")
    assert validate("ups", "1z5r89390357567127") is None


def test_detect_reports_a_wrong_check_digit_as_an_invalid_match() -> None:
    assert Match("ups", "ups", False) in detect("1Z5R89390357567128")


@pytest.mark.parametrize(
    ("carrier", "number", "reason"),
    [
        ("ups", "1Z5R89390357567128", InvalidNumberReason.CHECK_DIGIT),
        ("ups", "986578788855", InvalidNumberReason.FORMAT),
        ("dhl", "00340434292135100124", InvalidNumberReason.FORMAT),
        ("royalmail", "1Z5R89390357567127", InvalidNumberReason.UNKNOWN_CARRIER),
        ("fedex", "4201028200009261290113185417468510", None),
        ("usps", "4201028200009261290113185417468510", None),
    ],
)
def test_validate_checks_the_given_carrier_only(
    carrier: str, number: str, reason: InvalidNumberReason | None
) -> None:
    assert validate(carrier, number) is reason
