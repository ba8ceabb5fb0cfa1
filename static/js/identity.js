// The identity form: choosing a province or a regency reloads the form with the next level's
// choices (the "Tampilkan pilihan wilayah" button does the same without JavaScript).
document.querySelectorAll("#identitas select[data-refresh]").forEach(function (select) {
  select.addEventListener("change", function () {
    document.getElementById("refresh").click();
  });
});
