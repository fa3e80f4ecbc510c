"""The rules an issue obeys whatever route saves it (admin form, service, workflow
publish): `BulletinIssuePage.clean` asks `issue_problems`.

- its number is unique per issuing unit and year (drafts included);
- a manuscript item is a manuscript adopted for the bulletin and received by the
  issuing unit's subtree (publications.bulletins.manuscript_items).

No import of the models here: the page in hand answers for its own table."""

from __future__ import annotations


def number_problem(issue) -> str | None:
    if not (issue.issue_number and issue.issue_date and issue.publishing_unit_id):
        return None
    year = issue.issue_date.year
    other = (
        type(issue)
        ._default_manager.filter(
            publishing_unit_id=issue.publishing_unit_id,
            issue_year=year,
            issue_number=issue.issue_number,
        )
        .exclude(pk=issue.pk)
        .first()
    )
    if other is None:
        return None
    return (
        f"{year}年第{issue.issue_number}期已经存在（《{other.title}》）："
        "同一发布单位同一年的期号不能重复"
    )


def issue_problems(issue) -> dict[str, list[str]]:
    """What forbids saving `issue` as it is: {field: [messages]} (empty: nothing)."""
    from publications.bulletins.manuscript_items import manuscript_problems

    errors: dict[str, list[str]] = {}
    number = number_problem(issue)
    if number:
        errors["issue_number"] = [number]
    problems = manuscript_problems(issue)
    if problems:
        errors["sections"] = problems
    return errors
