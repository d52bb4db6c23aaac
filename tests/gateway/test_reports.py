"""Delivery report parsing and the ordering that keeps the most final status."""

from __future__ import annotations

import itertools
from functools import reduce

import pytest

from runtime.channels import BadInbound, parse_at_delivery_report, should_replace, status_rank
from runtime.channels.reports import DeliveryReport, is_final

INTERMEDIATE = ["Sent", "Submitted", "Buffered"]
FINAL = ["Success", "Rejected", "Failed", "AbsentSubscriber", "Expired"]


def test_parse_at_report() -> None:
    report = parse_at_delivery_report(
        {
            "id": "ATXid_1",
            "status": "Failed",
            "phoneNumber": "+84912345678",
            "networkCode": "45204",
            "failureReason": "UserInBlackList",
            "retryCount": "0",
        }
    )

    assert report == DeliveryReport(
        "ATXid_1", "Failed", True, "UserInBlackList", "+84912345678", "45204"
    )
    assert report.failed and not report.delivered


def test_success_is_final_and_delivered() -> None:
    report = parse_at_delivery_report({"id": "ATXid_2", "status": "Success"})
    assert report.final and report.delivered and report.failure_reason is None


@pytest.mark.parametrize(
    "form", [{}, {"id": "ATXid_1"}, {"status": "Success"}, {"id": "", "status": "Success"}]
)
def test_missing_fields_are_bad_inbound(form: dict[str, str]) -> None:
    with pytest.raises(BadInbound):
        parse_at_delivery_report(form)


@pytest.mark.parametrize(("low", "high"), itertools.product(INTERMEDIATE, FINAL))
def test_every_final_outranks_every_intermediate(low: str, high: str) -> None:
    assert status_rank(low) < status_rank(high)
    assert not is_final(low) and is_final(high)
    assert should_replace(low, high) and not should_replace(high, low)


def test_intermediates_are_ordered_and_unknown_is_lowest() -> None:
    assert status_rank(None) == status_rank("Mystery") == 0 < status_rank("Sent")
    assert status_rank("Sent") < status_rank("Submitted") < status_rank("Buffered")
    assert status_rank("success") == status_rank("Success")


def test_repeats_change_nothing() -> None:
    for status in INTERMEDIATE + FINAL:
        assert not should_replace(status, status)


def test_a_later_failure_does_not_undo_delivery() -> None:
    assert not should_replace("Success", "Failed")
    assert should_replace("Failed", "Success")


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["Sent", "Submitted", "Buffered", "Success"]))
)
def test_any_arrival_order_ends_on_the_final_status(order: tuple[str, ...]) -> None:
    stored = reduce(
        lambda current, new: new if should_replace(current, new) else current, order + order, None
    )
    assert stored == "Success"


def test_android_states_rank_too() -> None:
    assert status_rank("Pending") < status_rank("Processed") < status_rank("Sent")
    assert is_final("Delivered") and is_final("Failed") and not is_final("Sent")


def test_bad_report_is_a_bad_inbound() -> None:
    from runtime.channels.reports import BadReport

    with pytest.raises(BadReport):
        parse_at_delivery_report({"id": "x"})
