() => {
  // A [n] marker in an answer jumps to source n in the sources panel and marks it; done in the
  // page because the markers live in the chat's rendered Markdown, which has no events of its own.
  document.addEventListener("click", (event) => {
    const marker = event.target.closest('a[href^="#src-"]');
    if (!marker) return;
    event.preventDefault();
    event.stopPropagation();
    const card = document.getElementById(marker.getAttribute("href").slice(1));
    if (!card) return;
    card.closest("details")?.setAttribute("open", "");
    document.querySelectorAll(".source.active").forEach((el) => el.classList.remove("active"));
    card.classList.add("active");
    card.scrollIntoView({ behavior: "smooth", block: "center" });
  }, true);
}
