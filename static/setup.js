(() => {
  const link = document.getElementById("setup-link");
  const status = document.getElementById("countdown");
  if (!link || !status) return;
  let seconds = 3;
  const tick = () => {
    if (seconds <= 0) {
      status.textContent = "Opening setup…";
      globalThis.location.replace(link.href);
      return;
    }
    status.textContent = "Opening setup in " + seconds + " s…";
    seconds -= 1;
    setTimeout(tick, 1000);
  };
  tick();
})();
