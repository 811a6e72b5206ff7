// LTI Platform Storage, the tool's side: the inline script of the tool's storage login page
// (data-mode="put") and storage launch page (data-mode="get"). Rendered by
// ims_runtime::lti (templates lti_storage_login.html / lti_storage_launch.html) under a
// per-response CSP nonce; every value comes from data-* attributes of #lti-storage.
//
// LTI Client Side postMessages 0.1 / Platform Storage 0.1: ask the platform what it supports
// (lti.capabilities, to the frame named by lti_storage_target, or the parent window for
// _parent), then lti.put_data / lti.get_data to the frame the capabilities name for them. Every
// message is posted with targetOrigin = the origin of the platform's OIDC authorization
// endpoint, and only answers from that origin with our message_id are read.
(function () {
  "use strict";
  // A request unanswered after TIMEOUT_MS counts as "no storage". It is posted again every
  // RESEND_MS until then: the platform's storage frame may still be loading when the tool's
  // page first asks (every message here is idempotent, and one message_id is answered once).
  var TIMEOUT_MS = 3000;
  var RESEND_MS = 250;
  var el = document.getElementById("lti-storage");
  var mode = el.getAttribute("data-mode");
  var target = el.getAttribute("data-target");
  var origin = el.getAttribute("data-origin");
  var key = el.getAttribute("data-key");
  var status = document.getElementById("lti-storage-status");

  function say(text) {
    status.textContent = text;
  }

  function platformWindow() {
    if (window.opener) {
      return window.opener;
    }
    return window.parent !== window ? window.parent : null;
  }

  function frameNamed(name) {
    var platform = platformWindow();
    if (!platform) {
      return null;
    }
    if (!name || name === "_parent") {
      return platform;
    }
    try {
      // Named child frames are reachable through a cross-origin WindowProxy.
      return platform.frames[name] || null;
    } catch (e) {
      return null;
    }
  }

  function messageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function request(win, message) {
    return new Promise(function (resolve, reject) {
      if (!win) {
        return reject({ code: "no_platform_frame" });
      }
      message.message_id = messageId();
      var timer = null;
      var resend = null;
      function onMessage(event) {
        var d = event.data;
        if (event.origin !== origin || !d || typeof d !== "object" ||
            d.message_id !== message.message_id || d.subject !== message.subject + ".response") {
          return;
        }
        window.removeEventListener("message", onMessage);
        window.clearTimeout(timer);
        window.clearInterval(resend);
        if (d.error) {
          reject({ code: String(d.error.code || "error") });
        } else {
          resolve(d);
        }
      }
      window.addEventListener("message", onMessage);
      timer = window.setTimeout(function () {
        window.removeEventListener("message", onMessage);
        window.clearInterval(resend);
        reject({ code: "timeout" });
      }, TIMEOUT_MS);
      resend = window.setInterval(function () {
        win.postMessage(message, origin);
      }, RESEND_MS);
      win.postMessage(message, origin);
    });
  }

  // The frame to send `subject` to, after lti.capabilities says it is supported.
  function frameFor(subject) {
    return request(frameNamed(target), { subject: "lti.capabilities" }).then(function (caps) {
      var list = Array.isArray(caps.supported_messages) ? caps.supported_messages : [];
      var put = null;
      var get = null;
      for (var i = 0; i < list.length; i++) {
        if (list[i] && list[i].subject === "lti.put_data") { put = list[i]; }
        if (list[i] && list[i].subject === "lti.get_data") { get = list[i]; }
      }
      // Storing is useful only if the value can be read back.
      if (!put || !get) {
        throw { code: "unsupported_subject" };
      }
      var entry = subject === "lti.put_data" ? put : get;
      var frame = typeof entry.frame === "string" && entry.frame ? entry.frame : target;
      return frameNamed(frame);
    });
  }

  if (mode === "put") {
    var value = el.getAttribute("data-value");
    var next = el.getAttribute("data-next");
    var go = function () { window.location.replace(next); };
    frameFor("lti.put_data").then(function (frame) {
      return request(frame, { subject: "lti.put_data", key: key, value: value });
    }).then(function () {
      say("Stored in the platform; signing in.");
      go();
    }, function (e) {
      // No storage: the cookie set with this page is the only binding left.
      say("The platform's storage did not answer (" + e.code + "): continuing with the cookie only.");
      go();
    });
  } else if (mode === "get") {
    var form = document.getElementById("lti-storage-form");
    frameFor("lti.get_data").then(function (frame) {
      return request(frame, { subject: "lti.get_data", key: key });
    }).then(function (answer) {
      if (typeof answer.value !== "string" || answer.value === "") {
        throw { code: "no_value" };
      }
      form.elements["lti_storage_value"].value = answer.value;
      say("Read back from the platform; launching.");
      form.submit();
    }).catch(function (e) {
      form.elements["lti_storage_error"].value = String(e && e.code || "error");
      form.submit();
    });
  }
})();
