// Shows the browser's clock: proof that scripts load with the right type.
(function () {
  var el = document.getElementById("clock");
  function tick() { el.textContent = "Scripts: on, " + new Date().toLocaleTimeString(); }
  tick();
  setInterval(tick, 1000);
})();
