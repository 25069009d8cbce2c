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
