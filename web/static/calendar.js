// The calendar view: FullCalendar (vendored) fed by /calendar/events, filtered by kind and agency.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var element = document.getElementById("calendar");
  var filters = document.getElementById("calendar-filters");
  if (!element || !window.FullCalendar) { return; }
  var narrow = window.matchMedia("(max-width: 40rem)").matches;
  var kindLabels = JSON.parse(element.dataset.kinds);
  var meetingUrl = element.dataset.meetingUrl;
  var calendar = new FullCalendar.Calendar(element, {
    // Events arrive as the district's wall-clock time; "UTC" shows them unshifted.
    timeZone: "UTC",
    now: element.dataset.now,
    locale: element.dataset.locale,
    firstDay: 1,
    initialView: narrow ? "listWeek" : "dayGridMonth",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "listWeek,dayGridMonth" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    height: "auto",
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
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
  calendar.render();
  filters.addEventListener("change", function () { calendar.refetchEvents(); });
  filters.addEventListener("submit", function (event) { event.preventDefault(); calendar.refetchEvents(); });
});
