// LTI Platform Storage, the platform's side: the script of the platform's storage frame.
//
// 1EdTech LTI Client Side postMessages 0.1 (https://www.imsglobal.org/spec/lti-cs-pm/v0p1) and
// LTI Platform Storage 0.1 (https://www.imsglobal.org/spec/lti-pf-storage/v0p1). Served by
// ims_runtime::lti::platform_storage (GET /lti/storage.js); the frame page that loads it lists
// the origins of the tools the platform knows in data-origins of #lti-platform-storage.
//
// - lti.capabilities: lists lti.capabilities, lti.put_data and lti.get_data, the storage pair
//   with this frame's name (window.name, the platform's lti_storage_target).
// - lti.put_data {key, value} / lti.get_data {key}: strings only, kept in this frame's
//   first-party sessionStorage under a key namespaced by the sender's origin, so one tool can
//   neither read nor overwrite another's values. sessionStorage rather than localStorage: a
//   launch's value is needed only by the same tab for the few seconds between login and
//   launch, and sessionStorage dies with the tab instead of piling up on the disk.
// - Every answer goes to event.source with targetOrigin = event.origin, and only senders whose
//   origin is a registered tool's are served (error wrong_origin otherwise).
(function () {
  "use strict";
  var CAPABILITIES = "lti.capabilities";
  var PUT_DATA = "lti.put_data";
  var GET_DATA = "lti.get_data";
  var MAX_KEY = 1024;
  var MAX_VALUE = 4096;
  var MAX_KEYS_PER_ORIGIN = 200;
  var PREFIX = "ims-lti-storage\n";

  var config = document.getElementById("lti-platform-storage");
  var allowed = [];
  try {
    allowed = JSON.parse(config.getAttribute("data-origins") || "[]");
  } catch (e) {
    allowed = [];
  }

  function storageKey(origin, key) {
    return PREFIX + origin + "\n" + key;
  }

  function keysOf(origin) {
    var n = 0;
    var prefix = PREFIX + origin + "\n";
    for (var i = 0; i < window.sessionStorage.length; i++) {
      var k = window.sessionStorage.key(i);
      if (k !== null && k.indexOf(prefix) === 0) {
        n++;
      }
    }
    return n;
  }

  function answer(event, body) {
    body.subject = event.data.subject + ".response";
    body.message_id = event.data.message_id;
    event.source.postMessage(body, event.origin);
  }

  function refuse(event, code, message) {
    answer(event, { error: { code: code, message: message } });
  }

  window.addEventListener("message", function (event) {
    var m = event.data;
    if (!m || typeof m !== "object" || typeof m.subject !== "string" || !event.source) {
      return;
    }
    // Messages of other conventions (and our own answers) are not ours to answer.
    if (m.subject.indexOf("lti.") !== 0 || /\.response$/.test(m.subject)) {
      return;
    }
    if (typeof m.message_id !== "string" && typeof m.message_id !== "number") {
      return refuse(event, "bad_request", "message_id is required");
    }
    if (allowed.indexOf(event.origin) < 0) {
      return refuse(event, "wrong_origin", "this origin is not a tool registered with the platform");
    }
    var key = m.key;
    switch (m.subject) {
      case CAPABILITIES:
        return answer(event, {
          supported_messages: [
            { subject: CAPABILITIES },
            { subject: PUT_DATA, frame: window.name },
            { subject: GET_DATA, frame: window.name }
          ]
        });
      case PUT_DATA:
        if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY) {
          return refuse(event, "bad_request", "key must be a string of 1 to " + MAX_KEY + " characters");
        }
        if (typeof m.value !== "string" || m.value.length > MAX_VALUE) {
          return refuse(event, "bad_request", "value must be a string of at most " + MAX_VALUE + " characters");
        }
        try {
          var k = storageKey(event.origin, key);
          if (window.sessionStorage.getItem(k) === null && keysOf(event.origin) >= MAX_KEYS_PER_ORIGIN) {
            return refuse(event, "storage_exhaustion", "too many keys stored for this origin");
          }
          window.sessionStorage.setItem(k, m.value);
        } catch (e) {
          return refuse(event, "storage_exhaustion", "the browser refused to store the value");
        }
        return answer(event, { key: key, value: m.value });
      case GET_DATA:
        if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY) {
          return refuse(event, "bad_request", "key must be a string of 1 to " + MAX_KEY + " characters");
        }
        var value = null;
        try {
          value = window.sessionStorage.getItem(storageKey(event.origin, key));
        } catch (e) {
          value = null;
        }
        return answer(event, { key: key, value: value });
      default:
        return refuse(event, "unsupported_subject", "this frame answers only " + [CAPABILITIES, PUT_DATA, GET_DATA].join(", "));
    }
  });
})();
