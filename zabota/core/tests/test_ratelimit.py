from django.core.cache import cache

from zabota.core.ratelimit import Limit, hit, is_limited

LIMIT = Limit("test", 3, 60)


def test_allows_up_to_the_limit_then_refuses():
    cache.clear()
    results = [hit(LIMIT, "1.2.3.4") for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert is_limited(LIMIT, "1.2.3.4")
    # another subject has its own budget
    assert hit(LIMIT, "5.6.7.8") and not is_limited(LIMIT, "5.6.7.8")


def test_load_tests_can_turn_the_limits_off(settings):
    # given: the switch of bench/surveys.py
    settings.ZABOTA_RATE_LIMITS_OFF = True
    limit = Limit("test-off", 1, 60)
    # when
    allowed = [hit(limit, "127.0.0.1") for _ in range(5)]
    # then
    assert allowed == [True] * 5
    assert not is_limited(limit, "127.0.0.1")
