"""The monthly meeting of a category (`/meetings/<category>/<period>`): its action items and its packet."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from models import Job, JobStatus, MeetingActionItem, ServiceCategory, db, today
from scoring.periods import add_months, is_period

from ..categories.services import category_by_slug
from ..form_choices import select_choices
from ..jobs.kinds import MEETING_PACKET
from ..jobs.starters import start_packet_job
from ..rankings.page import latest_scored_period, ranking_categories
from ..security import role_required
from ..unit_of_work import discard_changes
from .forms import ActionItemForm, PacketForm, StatusForm
from .packet_job import FORMATS, download_name, packet_key_prefix, stored_file
from .services import (
    MEETING_ROLES,
    ActionItemInput,
    ActionItemRefused,
    id_of,
    item_of,
    meeting_items,
    meeting_owners,
    record_item,
    update_item,
)

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
RECENT_PACKETS = 5


def _meeting_or_404(category_slug: str, period: str) -> ServiceCategory:
    category = category_by_slug(category_slug)
    if category is None or not is_period(period):
        abort(404)
    return category


def _owner_choices():
    return select_choices([("", "— type a name instead —")] + [(str(u.id), f"{u.name or u.email} ({u.role.label})")
                                                              for u in meeting_owners()])


def _typed(form: ActionItemForm) -> ActionItemInput:
    return ActionItemInput(text=form.text.data or "", owner_user_id=form.owner_user_id.data or "",
                           owner_name=form.owner_name.data or "", due_on=form.due_on.data or "")


def _show_problems(form, problems) -> None:
    for name, message in problems:
        field = getattr(form, name, None) if name else None
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def _recent_packets(category: ServiceCategory, period: str) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.kind == MEETING_PACKET, Job.idempotency_key.startswith(packet_key_prefix(category, period)))
        .order_by(Job.id.desc()).limit(RECENT_PACKETS)))


def _render(category: ServiceCategory, period: str, *, form: ActionItemForm | None = None,
            editing: MeetingActionItem | None = None):
    form = form or ActionItemForm(formdata=None)
    form.owner_user_id.choices = _owner_choices()
    return render_template("meetings/meeting.html", category=category, period=period, form=form, editing=editing,
                           items=meeting_items(category, period), status_form=StatusForm(formdata=None),
                           packet_form=PacketForm(formdata=None), packets=_recent_packets(category, period),
                           previous_month=add_months(period, -1), next_month=add_months(period, 1),
                           JobStatus=JobStatus, today=today())


@bp.get("/")
@role_required(*MEETING_ROLES)
def index():
    categories = ranking_categories()
    latest = {c.id: latest_scored_period(c) for c in categories}
    return render_template("meetings/index.html", categories=categories, latest=latest,
                           this_month=today().strftime("%Y-%m"))


@bp.get("/<category_slug>/<period>")
@role_required(*MEETING_ROLES)
def meeting(category_slug: str, period: str):
    category = _meeting_or_404(category_slug, period)
    editing = None
    edit_id = id_of(request.args.get("edit"))
    if edit_id is not None:
        editing = item_of(category, edit_id)
    form = None
    if editing is not None:
        form = ActionItemForm(formdata=None, obj=editing)
        form.owner_user_id.data = str(editing.owner_user_id or "")
        form.due_on.data = editing.due_on.isoformat()
        form.status.data = editing.status.value
    return _render(category, period, form=form, editing=editing)


@bp.post("/<category_slug>/<period>/items")
@role_required(*MEETING_ROLES)
def record(category_slug: str, period: str):
    category = _meeting_or_404(category_slug, period)
    form = ActionItemForm()
    form.owner_user_id.choices = _owner_choices()
    if form.validate_on_submit():
        try:
            item = record_item(category, period, _typed(form), current_user._get_current_object())
        except ActionItemRefused as refused:
            discard_changes()
            _show_problems(form, refused.problems)
        else:
            flash(f"Action item #{item.id} recorded for the {period} meeting. It stays on every packet until it is "
                  "done or dropped.", "success")
            return redirect(url_for("meetings.meeting", category_slug=category.slug, period=period))
    form.form_errors.insert(0, "The item was not recorded: see the messages below. Nothing was stored.")
    return _render(category, period, form=form)


@bp.post("/<category_slug>/<period>/items/<int:item_id>")
@role_required(*MEETING_ROLES)
def update(category_slug: str, period: str, item_id: int):
    category = _meeting_or_404(category_slug, period)
    item = item_of(category, item_id)
    if item is None:
        abort(404)
    actor = current_user._get_current_object()
    if "text" not in request.form:  # the status-only form of a row
        form = StatusForm()
        typed = ActionItemInput(text=item.text, owner_user_id=str(item.owner_user_id or ""),
                                owner_name=item.owner_name or "", due_on=item.due_on.isoformat())
    else:
        form = ActionItemForm()
        form.owner_user_id.choices = _owner_choices()
        typed = _typed(form)
    if form.validate_on_submit():
        try:
            update_item(item, typed, form.status.data or "", actor)
        except ActionItemRefused as refused:
            discard_changes()
            if isinstance(form, ActionItemForm):
                _show_problems(form, refused.problems)
                form.form_errors.insert(0, f"Item #{item_id} was not changed: see the messages below.")
                return _render(category, period, form=form, editing=item)
            flash(f"Item #{item_id} was not changed: {refused}", "danger")
        else:
            flash(f"Action item #{item.id} saved: {item.status.value}.", "success")
    return redirect(url_for("meetings.meeting", category_slug=category.slug, period=period))


@bp.post("/<category_slug>/<period>/packet")
@role_required(*MEETING_ROLES)
def start_packet(category_slug: str, period: str):
    category = _meeting_or_404(category_slug, period)
    if not PacketForm().validate_on_submit():
        flash("The form had expired: press the button again.", "warning")
        return redirect(url_for("meetings.meeting", category_slug=category.slug, period=period))
    job = start_packet_job(category, period, current_user._get_current_object())
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/packets/<int:packet_id>.<fmt>")
@role_required(*MEETING_ROLES)
def download(packet_id: int, fmt: str):
    """A finished packet, for every city user (the job's page itself is its starter's and the admins')."""
    job = db.session.get(Job, packet_id)
    path = stored_file(job, fmt) if job is not None and job.status == JobStatus.SUCCEEDED else None
    if path is None:
        abort(404)
    return send_file(path, mimetype=FORMATS[fmt], as_attachment=True, download_name=download_name(job.result, fmt),
                     max_age=0)
