# Sanitizer runs (test/sanitize.sh); included from Makefile.am.
#
#   make sanitize-asan       ASan+UBSan build, whole suite
#   make sanitize-tsan       TSan build, e2e suite and test/tsan_stress.sh
#   make sanitize-valgrind   e2e suite with unbound under valgrind
#   make sanitize            all three
#
# The builds go to sanitize/ in the build directory.

SANITIZE_ENV = VPNDNS_SRCDIR=$(abs_top_srcdir) VPNDNS_BUILDDIR=$(abs_top_builddir)

sanitize-asan: all-local
	$(SANITIZE_ENV) bash $(srcdir)/test/sanitize.sh asan

sanitize-tsan: all-local
	$(SANITIZE_ENV) bash $(srcdir)/test/sanitize.sh tsan

sanitize-valgrind: all-local $(UBT)/unbound
	$(SANITIZE_ENV) bash $(srcdir)/test/sanitize.sh valgrind

sanitize: all-local $(UBT)/unbound
	$(SANITIZE_ENV) bash $(srcdir)/test/sanitize.sh asan tsan valgrind

sanitize-clean:
	rm -rf sanitize

.PHONY: sanitize sanitize-asan sanitize-tsan sanitize-valgrind sanitize-clean
