/* The station has the answers: forget the copy the survey page kept in this browser (survey.js). */
try { window.sessionStorage.removeItem("stationnet-survey:" + location.pathname.replace(/thanks\/$/, "")); } catch (e) {}
