"""What the topic guard counts as the broker having lost data (pure)."""

from shared.infra.topicguard import losses

TOPICS = ("a", "b")


def test_no_loss_when_every_topic_is_there_and_offsets_only_grew() -> None:
    assert losses({"a": {0: 5, 1: 2}, "b": {0: 0}}, {"a": {0: 7, 1: 2}, "b": {0: 1}}, TOPICS) == []


def test_a_missing_topic_is_a_loss_even_on_the_first_check() -> None:
    assert losses(None, {"a": {0: 0}}, TOPICS) == ["topic b is missing"]


def test_a_lost_partition_and_an_end_offset_going_back_are_losses() -> None:
    before = {"a": {0: 5, 1: 2, 2: 9}, "b": {0: 3}}
    now = {"a": {0: 5, 1: 0}, "b": {0: 3}}
    assert losses(before, now, TOPICS) == [
        "a[1] end offset went back from 2 to 0",
        "a lost partition 2",
    ]


def test_topics_outside_the_guarded_ones_are_ignored() -> None:
    assert losses(None, {"a": {}, "b": {}, "other": {0: 1}}, TOPICS) == []
