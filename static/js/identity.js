// Identity form: choosing a province or regency shows the next list at once (without
// JavaScript the "Tampilkan pilihan wilayah" button does the same).
document.querySelectorAll("#identitas select[data-refresh]").forEach(function (select) {
  select.addEventListener("change", function () {
    document.getElementById("refresh").click();
  });
});
