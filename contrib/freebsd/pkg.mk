# FreeBSD package and packaging checks; included from Makefile.am:
#   include $(srcdir)/contrib/freebsd/pkg.mk
#
#   make freebsd-stage   stage into $(FREEBSD_STAGEDIR) and write its
#                        +MANIFEST (runs on any system; see
#                        contrib/freebsd/pkg-stage.sh), then check it
#   make freebsd-pkg     on FreeBSD: pkg create from that stage, into
#                        $(FREEBSD_PKGDIR)
#   make check-pkg       the packaging checks of test/pkg/run.sh (rc.d
#                        script, man pages, systemd unit, stage and
#                        manifest, migration converter)
#
# The package needs the build configured with --prefix=/usr/local and
# --sysconfdir=/usr/local/etc (configure's defaults).

FREEBSD_STAGEDIR = $(abs_top_builddir)/freebsd-stage
FREEBSD_PKGDIR = $(abs_top_builddir)

freebsd-stage: all
	MAKE="$(MAKE)" sh $(srcdir)/contrib/freebsd/pkg-stage.sh \
		$(abs_top_builddir) $(FREEBSD_STAGEDIR)
	python3 $(srcdir)/test/pkg/check-manifest.py $(FREEBSD_STAGEDIR)

freebsd-pkg: freebsd-stage
	pkg create -M $(FREEBSD_STAGEDIR)/+MANIFEST -r $(FREEBSD_STAGEDIR) \
		-o $(FREEBSD_PKGDIR)

check-pkg: all
	VPNDNS_SRCDIR=$(abs_top_srcdir) VPNDNS_BUILDDIR=$(abs_top_builddir) \
		bash $(srcdir)/test/pkg/run.sh

.PHONY: freebsd-stage freebsd-pkg check-pkg
