// The hearing's video room: embedded with Jitsi's IFrame API once the person presses
// "Join the hearing" (browsers start sound only after a gesture). Joins and leaves are
// reported to the platform as attendance seen by the page. Without this script, the page's
// direct link opens the room.
(function () {
  "use strict";

  // What the room's frame may use: its devices, sharing a screen, sound, full screen.
  var ALLOW = "camera; microphone; display-capture; autoplay; fullscreen";
  // How long the room may take to open before the page says so.
  var SLOW_AFTER_MS = 30000;

  var app = document.getElementById("video-room-app");
  if (!app) return;
  var data = app.dataset;
  var csrf = document.body.getAttribute("data-csrf-token") || "";
  var button = document.getElementById("join-room");
  var frame = document.getElementById("video-room-frame");
  var problem = document.getElementById("video-room-problem");
  var problemText = document.getElementById("video-room-problem-text");
  var left = document.getElementById("video-room-left");
  var api = null;
  var joined = false;
  var slowTimer = null;
  var retriedToken = false;
  var joinLabel = button.textContent;

  function message(name) {
    var template = document.getElementById("video-room-messages");
    var found = template && template.content.querySelector("[data-message='" + name + "']");
    return found ? found.textContent : "";
  }

  function showProblem(text) {
    problemText.textContent = text;
    problem.hidden = false;
    problem.focus();
  }

  function hideProblem() {
    problem.hidden = true;
    problemText.textContent = "";
  }

  function newKey() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // Tell the platform what the page saw (through the page's report form); a leave is sent
  // even as the page closes.
  function report(kind) {
    var form = document.getElementById("video-room-report");
    form.elements.kind.value = kind;
    form.elements.key.value = newKey();
    form.elements.at.value = new Date().toISOString();
    return fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      keepalive: true,
      headers: { "X-CSRF-Token": csrf },
    }).catch(function () { /* attendance from the video service still counts */ });
  }

  // A token minted now, or the page's own when tokens are off; null with the reason shown.
  function freshToken() {
    if (!data.jwt) return Promise.resolve("");
    return fetch(data.tokenUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            showProblem(body.error || message("failed"));
            return null;
          }
          return body.jwt;
        });
      })
      .catch(function () {
        // The platform did not answer: the page's own token is still good until its end.
        var expires = parseInt(data.expires, 10) * 1000;
        return Date.now() < expires ? data.jwt : null;
      });
  }

  function leaveRoom() {
    if (slowTimer) window.clearTimeout(slowTimer);
    if (api) {
      api.dispose();
      api = null;
    }
    if (joined) {
      joined = false;
      report("left");
    }
  }

  function open(jwt) {
    if (typeof window.JitsiMeetExternalAPI !== "function") {
      showProblem(message("unreachable"));
      button.disabled = false;
      return;
    }
    var options = {
      roomName: data.room,
      parentNode: frame,
      width: "100%",
      height: "100%",
      lang: data.lang,
      userInfo: { displayName: data.name, email: data.email },
      configOverwrite: {
        disableDeepLinking: true,
        prejoinConfig: { enabled: false },
        startWithAudioMuted: false,
        startWithVideoMuted: false,
      },
      interfaceConfigOverwrite: { MOBILE_APP_PROMO: false },
    };
    if (jwt) options.jwt = jwt;
    try {
      api = new window.JitsiMeetExternalAPI(data.domain, options);
    } catch (error) {
      showProblem(message("failed"));
      button.disabled = false;
      return;
    }
    var iframe = api.getIFrame ? api.getIFrame() : frame.querySelector("iframe");
    if (iframe) {
      iframe.setAttribute("allow", ALLOW);
      iframe.setAttribute("title", document.getElementById("video-room-title").textContent);
    }
    button.hidden = true;
    slowTimer = window.setTimeout(function () {
      if (!joined) showProblem(message("slow"));
    }, SLOW_AFTER_MS);

    api.addListener("videoConferenceJoined", function () {
      joined = true;
      if (slowTimer) window.clearTimeout(slowTimer);
      hideProblem();
      report("joined");
    });
    api.addListener("videoConferenceLeft", function () {
      leaveRoom();
      left.hidden = false;
      button.textContent = message("join-again") || joinLabel;
      button.hidden = false;
      button.disabled = false;
    });
    api.addListener("readyToClose", function () {
      leaveRoom();
    });
    // The adjudicator's page turns the room's lobby on as soon as Jitsi makes them its
    // moderator: a second guard behind the waiting room.
    api.addListener("participantRoleChanged", function (event) {
      if (data.moderator === "true" && event && event.role === "moderator") {
        api.executeCommand("toggleLobby", true);
      }
    });
    api.addListener("errorOccurred", function (event) {
      var error = (event && event.error) || {};
      var name = String(error.name || "");
      // A token refused (expired, or not yet valid on a clock behind ours): ask for a fresh
      // one once, then say so.
      if (/token|auth|password|notAllowed/i.test(name) && !retriedToken) {
        retriedToken = true;
        leaveRoom();
        join();
        return;
      }
      if (error.isFatal) showProblem(message(/token|auth|notAllowed/i.test(name) ? "refused" : "failed"));
    });
  }

  function join() {
    hideProblem();
    left.hidden = true;
    button.disabled = true;
    freshToken().then(function (jwt) {
      if (jwt === null) {
        button.disabled = false;
        return;
      }
      open(jwt);
    });
  }

  app.hidden = false;
  button.addEventListener("click", join);
  window.addEventListener("pagehide", leaveRoom);
})();
