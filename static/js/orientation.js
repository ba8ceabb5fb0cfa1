/* Orientation videos: report start and end to the server, which checks the elapsed time.
   No seeking forward, normal speed only; the server is the judge, this only keeps people honest. */
(function () {
  var data = document.getElementById("orientasi-js").dataset;
  var csrf = data.csrf;
  function post(url) {
    return fetch(url, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }
  var first = true;
  document.querySelectorAll("section.video video").forEach(function (video) {
    var box = video.closest("section");
    var button = box.querySelector("button.play");
    var line = box.querySelector(".msgline");
    if (!first) { line.textContent = data.wait; return; }
    first = false;
    var watched = 0;
    button.hidden = false;
    video.addEventListener("timeupdate", function () {
      if (video.currentTime > watched + 0.75) { video.currentTime = watched; } else { watched = video.currentTime; }
    });
    video.addEventListener("ratechange", function () { if (video.playbackRate !== 1) video.playbackRate = 1; });
    button.addEventListener("click", function () {
      button.disabled = true;
      watched = 0;
      video.currentTime = 0;
      post(video.dataset.start).then(function () { return video.play(); }).catch(function () {
        line.textContent = data.failed;
        button.disabled = false;
      });
    });
    video.addEventListener("ended", function () {
      post(video.dataset.end).then(function (data) {
        if (data.completed) { window.location.reload(); return; }
        line.textContent = data.error ? [data.error.message, data.error.next_step].join(" ") : "";
        button.disabled = false;
      });
    });
  });
})();
