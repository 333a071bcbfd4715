// The self-test page of a video hearing: a camera preview, a microphone level and a test
// sound. Without this script the page explains that the test needs JavaScript, and its form
// still records that the person skipped the test or what does not work.
(function () {
  "use strict";

  function setUp() {
    var tools = document.getElementById("self-test-tools");
    if (!tools) return;
    var noScript = document.getElementById("self-test-no-js");
    var status = document.getElementById("self-test-status");
    var startButton = document.getElementById("self-test-start");
    var soundButton = document.getElementById("self-test-sound");
    var preview = document.getElementById("self-test-preview");
    var video = document.getElementById("self-test-video");
    var meter = document.getElementById("self-test-level");
    var help = document.getElementById("self-test-help");
    var reason = document.getElementById("reason");
    var audioContext = null;
    var stream = null;

    if (noScript) noScript.hidden = true;
    tools.hidden = false;

    function say(name) {
      status.textContent = tools.getAttribute("data-msg-" + name) || "";
    }

    // What went wrong, as the answer form's reason (the person can change it).
    function suggest(value) {
      if (reason && !reason.value) reason.value = value;
      var failed = document.querySelector("input[name='result'][value='failed']");
      if (failed && !document.querySelector("input[name='result']:checked")) failed.checked = true;
    }

    function context() {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return null;
      if (!audioContext) audioContext = new Context();
      if (audioContext.state === "suspended") audioContext.resume();
      return audioContext;
    }

    function showLevel(source) {
      var audio = context();
      if (!audio) return;
      var analyser = audio.createAnalyser();
      analyser.fftSize = 512;
      audio.createMediaStreamSource(source).connect(analyser);
      var samples = new Uint8Array(analyser.fftSize);
      function draw() {
        analyser.getByteTimeDomainData(samples);
        var peak = 0;
        for (var i = 0; i < samples.length; i++) {
          var distance = Math.abs(samples[i] - 128);
          if (distance > peak) peak = distance;
        }
        var level = Math.min(100, Math.round((peak / 128) * 200));
        meter.value = level;
        meter.textContent = String(level);
        window.requestAnimationFrame(draw);
      }
      draw();
    }

    function failed(error) {
      var name = error && error.name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        say("camera-denied");
        suggest("camera_denied");
        if (help) help.open = true;
      } else if (name === "NotFoundError" || name === "OverconstrainedError") {
        say("no-device");
        suggest("no_camera");
      } else {
        say("failed");
        suggest("other");
      }
    }

    function start(constraints) {
      return navigator.mediaDevices.getUserMedia(constraints).then(function (found) {
        stream = found;
        preview.hidden = false;
        if (found.getVideoTracks().length) {
          video.srcObject = found;
          video.play().catch(function () {});
          say("working");
        } else {
          video.hidden = true;
          say("no-camera");
          suggest("no_camera");
        }
        showLevel(found);
      });
    }

    startButton.addEventListener("click", function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say("unsupported");
        suggest("browser_unsupported");
        return;
      }
      if (stream) return;
      say("starting");
      start({ video: true, audio: true }).catch(function (error) {
        // No camera at all: the microphone alone may still work.
        if (error && error.name === "NotFoundError") {
          return start({ audio: true }).catch(function (again) {
            if (again && again.name === "NotFoundError") {
              say("no-device");
              suggest("no_microphone");
            } else {
              failed(again);
            }
          });
        }
        failed(error);
      });
    });

    soundButton.addEventListener("click", function () {
      var audio = context();
      if (!audio) {
        say("sound-failed");
        suggest("browser_unsupported");
        return;
      }
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = 440;
      gain.gain.value = 0.2;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 2);
      say("sound");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
