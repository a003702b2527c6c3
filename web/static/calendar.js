// The calendar view: FullCalendar (vendored) fed by /calendar/events (meetings and task
// deadlines), filtered by kind and agency.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var element = document.getElementById("calendar");
  var filters = document.getElementById("calendar-filters");
  if (!element || !window.FullCalendar) { return; }
  var narrow = window.matchMedia("(max-width: 40rem)").matches;
  var kindLabels = JSON.parse(element.dataset.kinds);
  var meetingUrl = element.dataset.meetingUrl;
  var taskUrl = element.dataset.taskUrl;
  var names = JSON.parse(element.dataset.names);
  // What screen readers say for the buttons, links and columns, in the page's language.
  var labels = JSON.parse(element.dataset.labels);

  // Dates are written with the portal's own (CLDR) names: browsers without Kazakh data
  // would otherwise show "2026 M11". The calendar runs in UTC, so UTC getters are right.
  function dayMonth(d) {
    return d.getUTCDate() + " " + names.monthsInDates[d.getUTCMonth()];
  }
  function withYear(text, year) {
    return names.yearFirst ? year + " ж. " + text : text + " " + year;
  }
  function title(arg) {
    var start = arg.start.marker;
    var end = arg.end ? new Date(arg.end.marker.getTime() - 1) : start;
    if (arg.end && end.getUTCDate() !== start.getUTCDate() && end - start > 86400000 * 20) {
      return withYear(names.months[start.getUTCMonth()], start.getUTCFullYear());
    }
    if (end.getUTCMonth() === start.getUTCMonth()) {
      return withYear(start.getUTCDate() + "–" + dayMonth(end), end.getUTCFullYear());
    }
    return withYear(dayMonth(start) + " – " + dayMonth(end), end.getUTCFullYear());
  }
  // A task's deadline: a moment, not a span; it opens the task's page; overdue ones stand out.
  function deadline(task) {
    var classes = ["task-deadline", "status-" + task.status];
    if (task.overdue) { classes.push("task-overdue"); }
    return {
      id: "task-" + task.id,
      title: task.title,
      start: task.start,
      allDay: false,
      url: taskUrl + task.id,
      classNames: classes,
      extendedProps: {
        kindLabel: kindLabels[task.overdue ? "overdue" : task.kind] || task.kind,
        location: task.case || ""
      }
    };
  }
  // A public holiday or a decree day off of the district: the day is shaded and named.
  var daysOff = {};  // "2026-12-16": its name, for the list views' day headers
  function dayOff(day) {
    daysOff[day.date] = day.title;
    return {
      id: "day-off-" + day.date,
      title: day.title,
      start: day.date,
      allDay: true,
      display: "background",
      classNames: ["day-off"],
      extendedProps: { kindLabel: day.title, location: "" }
    };
  }
  var calendar = new FullCalendar.Calendar(element, {
    // Events arrive as the district's wall-clock time; "UTC" shows them unshifted.
    timeZone: "UTC",
    now: element.dataset.now,
    locale: element.dataset.locale,
    buttonHints: labels.buttonHints,
    viewHint: labels.viewHint,
    navLinkHint: labels.navLinkHint,
    moreLinkHint: labels.moreLinkHint,
    closeHint: labels.closeHint,
    timeHint: labels.timeHint,
    eventHint: labels.eventHint,
    weekTextLong: labels.weekTextLong,
    firstDay: 1,
    initialView: narrow ? "listWeek" : "dayGridMonth",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "listWeek,dayGridMonth" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    height: "auto",
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    titleFormat: title,
    dayHeaderFormat: function (arg) { return names.days[arg.date.marker.getUTCDay()]; },
    listDayFormat: function (arg) { return dayMonth(arg.date.marker); },
    listDaySideFormat: function (arg) {
      var off = daysOff[arg.date.marker.toISOString().slice(0, 10)];
      return names.days[arg.date.marker.getUTCDay()] + (off ? " · " + off : "");
    },
    dayMaxEvents: true,
    eventDisplay: "block",
    views: { dayGridMonth: { displayEventEnd: false } },
    displayEventEnd: true,
    events: {
      url: element.dataset.source,
      extraParams: function () {
        return { kind: filters.elements.kind.value, agency: filters.elements.agency.value };
      },
      failure: function () { window.alert(element.dataset.error); }
    },
    // The endpoint sends the bare facts; links, classes and labels are added here.
    eventDataTransform: function (meeting) {
      if (meeting.type === "task") { return deadline(meeting); }
      if (meeting.type === "day_off") { return dayOff(meeting); }
      return {
        id: meeting.id,
        title: meeting.title,
        start: meeting.start,
        end: meeting.end,
        url: meetingUrl + meeting.id,
        classNames: ["kind-" + meeting.kind, "status-" + meeting.status],
        extendedProps: { kindLabel: kindLabels[meeting.kind] || meeting.kind, location: meeting.location }
      };
    },
    eventDidMount: function (info) {
      var props = info.event.extendedProps;
      info.el.title = props.kindLabel + (props.location ? " · " + props.location : "");
    }
  });
  // FullCalendar's arrow icons are images without a name inside named buttons: hide them.
  function hideIcons() {
    element.querySelectorAll(".fc-icon[role=img]").forEach(function (icon) {
      icon.removeAttribute("role");
      icon.setAttribute("aria-hidden", "true");
    });
  }
  calendar.on("datesSet", hideIcons);
  calendar.render();
  hideIcons();
  filters.addEventListener("change", function () { calendar.refetchEvents(); });
  filters.addEventListener("submit", function (event) { event.preventDefault(); calendar.refetchEvents(); });
});
