import { useEffect, useRef } from "preact/hooks";

/**
 * The page's h1. It takes focus when the page opens, so keyboard and screen-reader users land
 * on the new content instead of staying in the navigation.
 */
export function PageTitle({ children }: { children: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · Keyhold`;
    heading.current?.focus();
  }, [children]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}
