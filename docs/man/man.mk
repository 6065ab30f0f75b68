# vpndns manual pages; included from Makefile.am:
#   include $(srcdir)/docs/man/man.mk
#
# "make install" puts them in $(mandir)/man5 and $(mandir)/man8, next to
# the pages of Unbound's own install (unbound.conf.5, unbound-control.8).
# "make man-lint" checks them with mandoc (or groff when mandoc is absent).

man_MANS = docs/man/vpndns.conf.5 docs/man/vpndns-control.8

man-lint:
	@if command -v mandoc >/dev/null 2>&1; then \
		echo "mandoc -Tlint -Wwarning $(man_MANS)"; \
		cd $(srcdir) && mandoc -Tlint -Wwarning $(man_MANS); \
	else \
		echo "groff -mandoc -ww -z $(man_MANS)"; \
		cd $(srcdir) && groff -mandoc -ww -z $(man_MANS); \
	fi

.PHONY: man-lint
